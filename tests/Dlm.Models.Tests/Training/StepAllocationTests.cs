using Dlm.Models.Config;
using Dlm.Models.Lora;
using Dlm.Models.Optim;
using Dlm.Models.Tests.Transformer;
using Dlm.Models.Training;
using Dlm.Models.Transformer;
using Dlm.Numerics.Gemm;
using Dlm.Numerics.Threading;
using Dlm.TestSupport;

namespace Dlm.Models.Tests.Training;

// Allocation is counted per thread (the caller and the pool's workers); the collection still runs
// alone so that timing-sensitive pool threads are not starved by other tests.
[CollectionDefinition(nameof(SerialStepTests), DisableParallelization = true)]
public sealed class SerialStepTests;

[Collection(nameof(SerialStepTests))]
public sealed class StepAllocationTests
{
    private sealed class Constant(float lr) : ILearningRateSchedule
    {
        public float At(int step) => lr;
    }

    // Any backend other than ManagedGemm: the model then runs attention heads one after another.
    private sealed class OtherGemm(IGemm inner) : IGemm
    {
        public string Name => "other";

        public void Sgemm(bool transA, bool transB, int m, int n, int k, float alpha, ReadOnlySpan<float> a, int lda,
            ReadOnlySpan<float> b, int ldb, float beta, Span<float> c, int ldc) =>
            inner.Sgemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    }

    private static (TransformerModel Model, ModelTrainer Trainer) NewRun(ModelFamily family, bool lora, WorkerPool pool, IGemm gemm)
    {
        var cfg = ModelGradientTests.Tiny(family, family == ModelFamily.Llama ? 0f : 0.2f);
        var model = new TransformerModel(cfg, 3, 8, lora ? new LoraConfig(2, 4, 0.1f, ["q_proj", "down_proj"]) : null, gemm, pool: pool);
        model.InitializeWeights(5);
        if (lora) ModelGradientTests.Randomize(model.TrainableWeights, 6, 0.1f);
        model.RngState = 77;
        return (model, new ModelTrainer(model, new AdamWOptions(0.9f, 0.95f, 1e-8f, 0.1f), new Constant(3e-3f), 0.5f));
    }

    private static (int[] Tokens, int[] Targets, float[] Weights) Batch()
    {
        var rng = new Random(3);
        var tokens = Enumerable.Range(0, 24).Select(_ => rng.Next(11)).ToArray();
        var targets = Enumerable.Range(0, 24).Select(i => i % 7 == 3 ? -1 : rng.Next(11)).ToArray();
        var weights = Enumerable.Range(0, 24).Select(i => i % 5 == 0 ? 0.5f : 1f).ToArray();
        return (tokens, targets, weights);
    }

    public static TheoryData<ModelFamily, bool, bool> Cases => new()
    {
        { ModelFamily.Niels, false, true }, { ModelFamily.Niels, false, false }, { ModelFamily.Llama, false, true },
        { ModelFamily.Gpt2, false, true }, { ModelFamily.Niels, true, true },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void A_steady_state_training_step_allocates_nothing(ModelFamily family, bool lora, bool managed)
    {
        using var pool = new WorkerPool(2);
        IGemm gemm = managed ? new ManagedGemm(pool) : new OtherGemm(new ManagedGemm(pool));
        var (_, trainer) = NewRun(family, lora, pool, gemm);
        var (tk, tg, w) = Batch();
        for (int s = 0; s < 3; s++) trainer.TrainStep(tk, tg, w, 3, 8);
        var allocations = new ThreadAllocations(pool);
        allocations.Start();
        for (int s = 0; s < 5; s++) trainer.TrainStep(tk, tg, w, 3, 8);
        allocations.Stop();
        Assert.Empty(allocations.Allocating());
    }

    [Theory]
    [InlineData(ModelFamily.Niels, false)]
    [InlineData(ModelFamily.Gpt2, false)]
    [InlineData(ModelFamily.Llama, true)]
    public void Parallel_steps_match_a_single_thread_run(ModelFamily family, bool lora)
    {
        using var one = new WorkerPool(1);
        using var three = new WorkerPool(3);
        var (m1, t1) = NewRun(family, lora, one, new OtherGemm(new ManagedGemm(one)));
        var (m3, t3) = NewRun(family, lora, three, new ManagedGemm(three));
        var (tk, tg, w) = Batch();
        for (int s = 0; s < 3; s++)
        {
            var r1 = t1.TrainStep(tk, tg, w, 3, 8);
            var r3 = t3.TrainStep(tk, tg, w, 3, 8);
            Assert.Equal(r1.Loss, r3.Loss, 1e-6);
            Assert.Equal(r1.GradNorm, r3.GradNorm, 1e-5);
        }
        var a = m1.TrainableWeights.ToArray();
        var b = m3.TrainableWeights.ToArray();
        for (int i = 0; i < a.Length; i++) Assert.True(Math.Abs(a[i] - b[i]) <= 1e-5f, $"weight {i}: {a[i]} vs {b[i]}");
    }
}
