using Dlm.Numerics.Gemm;
using Dlm.Numerics.Threading;

namespace Dlm.Numerics.Tests;

public sealed class GemmBenchTests
{
    [Fact]
    public void Training_shapes_are_the_three_products_of_each_linear_layer_and_the_lora_products()
    {
        Assert.Equal(2 * 5 * 3 + 6, GemmBench.TrainingShapes.Count);
        var head = GemmBench.TrainingShapes.Where(s => s.Name.StartsWith("niels.lmhead.", StringComparison.Ordinal)).ToList();
        Assert.Equal(["NT", "NN", "TN"], head.Select(s => s.Trans));
        Assert.All(head, s => Assert.Equal(2.0 * 768 * 16000 * 384, s.Flops));
        Assert.Equal([0f, 0f, 1f], head.Select(s => s.Beta)); // weight gradients accumulate
        Assert.Equal(GemmBench.TrainingShapes.Count, GemmBench.TrainingShapes.Select(s => s.Name).Distinct().Count());
    }

    [Fact]
    public void Measure_reports_a_positive_rate()
    {
        using var pool = new WorkerPool(1);
        double rate = GemmBench.Measure(new ManagedGemm(pool), new GemmBenchShape("t", true, false, 40, 50, 60), 0);
        Assert.True(rate > 0 && double.IsFinite(rate));
    }
}
