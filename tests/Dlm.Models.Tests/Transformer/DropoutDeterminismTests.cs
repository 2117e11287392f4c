using Dlm.Models.Config;
using Dlm.Models.Transformer;
using Dlm.Numerics.Gemm;
using Dlm.Numerics.Threading;

namespace Dlm.Models.Tests.Transformer;

/// <summary>
/// Dropout masks (embeddings, attention probabilities, branches) come from the seeded stream by
/// position, not by worker: one and three threads drop the same entries.
/// </summary>
public class DropoutDeterminismTests
{
    private static (float[] Logits, ulong State, float[] Grads) TrainingPass(int threads, ulong seed)
    {
        using var pool = new WorkerPool(threads);
        var cfg = ModelGradientTests.Tiny(ModelFamily.Niels, 0.5f);
        var model = new TransformerModel(cfg, 3, 8, gemm: new ManagedGemm(pool), pool: pool);
        model.InitializeWeights(5);
        ModelGradientTests.Randomize(model.Weights, 6, 0.3f);
        var rng = new Random(3);
        var tokens = Enumerable.Range(0, 24).Select(_ => rng.Next(cfg.VocabSize)).ToArray();
        var targets = Enumerable.Range(0, 24).Select(_ => rng.Next(cfg.VocabSize)).ToArray();
        var weights = Enumerable.Repeat(1f, 24).ToArray();
        model.RngState = seed;
        var loss = model.Forward(tokens, targets, weights, 3, 8, training: true, HeadMode.Logits);
        var logits = model.Logits.ToArray();
        model.ZeroGradients();
        model.Backward((float)(1.0 / loss.WeightSum));
        return (logits, model.RngState, model.TrainableGradients.ToArray());
    }

    [Fact]
    public void One_and_three_threads_draw_the_same_masks()
    {
        var (l1, s1, g1) = TrainingPass(1, 42);
        var (l3, s3, g3) = TrainingPass(3, 42);
        Assert.Equal(s1, s3);
        // A different mask moves logits by O(1) at p = 0.5; GEMM order differences stay near 1e-6.
        for (int i = 0; i < l1.Length; i++) Assert.True(Math.Abs(l1[i] - l3[i]) <= 1e-5f, $"logit {i}: {l1[i]} vs {l3[i]}");
        for (int i = 0; i < g1.Length; i++) Assert.True(Math.Abs(g1[i] - g3[i]) <= 1e-5f, $"gradient {i}: {g1[i]} vs {g3[i]}");
        var (other, _, _) = TrainingPass(3, 43);
        Assert.True(l1.Zip(other).Max(p => Math.Abs(p.First - p.Second)) > 1e-2f, "another seed draws other masks");
    }
}
