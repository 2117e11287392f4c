using Dlm.Numerics.Gemm;
using Dlm.Numerics.Threading;

namespace Dlm.Numerics.Tests;

public sealed class GemmBenchTests
{
    [Fact]
    public void Model_shapes_are_the_three_products_of_each_linear_layer()
    {
        Assert.Equal(9, GemmBench.ModelShapes.Count);
        var head = GemmBench.ModelShapes.Where(s => s.Name.StartsWith("384->16000", StringComparison.Ordinal)).ToList();
        Assert.Equal(["NT", "NN", "TN"], head.Select(s => s.Trans));
        Assert.All(head, s => Assert.Equal(2.0 * 2048 * 16000 * 384, s.Flops));
    }

    [Fact]
    public void Measure_reports_a_positive_rate()
    {
        using var pool = new WorkerPool(1);
        double rate = GemmBench.Measure(new ManagedGemm(pool), new GemmBenchShape("t", true, false, 40, 50, 60), 0);
        Assert.True(rate > 0 && double.IsFinite(rate));
    }
}
