using Dlm.Models.Config;
using Dlm.Models.Optim;
using Dlm.Models.Training;
using Dlm.Models.Transformer;
using Dlm.Numerics.Gemm;
using Dlm.Numerics.Threading;
using Dlm.TestSupport;

namespace Dlm.Models.Tests.Training;

/// <summary>
/// The per-shape GEMM's decisions are made when the trainer is built, for every product of a step:
/// a full step, a masked one (the last block and the LM head on the weighted rows only) and a
/// shorter batch then time nothing, so no measurement lands inside a step.
/// </summary>
public sealed class TrainingShapesTests
{
    private sealed class Constant(float lr) : ILearningRateSchedule
    {
        public float At(int step) => lr;
    }

    [Fact]
    public void A_trainer_decides_every_product_of_full_masked_and_shorter_steps_before_the_first()
    {
        using var pool = new WorkerPool(2);
        var managed = new ManagedGemm(pool);
        var g = new PerShapeGemm(managed, new StandInGemm(managed, 0, compute: true));
        // Large enough that its linears and head are timed (≥ 2^26 multiply-adds at 512 rows).
        var cfg = ModelConfig.NielsDefault(256) with { VocabSize = 4096, DModel = 256, Layers = 2, Heads = 4, KvHeads = 4, DFf = 768 };
        var model = new TransformerModel(cfg, 2, 256, gemm: g, pool: pool);
        model.InitializeWeights(1);
        var trainer = new ModelTrainer(model, AdamWOptions.NielsGptPretrain, new Constant(1e-3f), 1f);
        Assert.NotEmpty(trainer.GemmChoices);
        Assert.All(trainer.GemmChoices, c => Assert.Equal("measured", c.Reason));
        int decided = g.Choices.Count;

        var rng = new Random(2);
        int n = 2 * 256;
        var tokens = Enumerable.Range(0, n).Select(_ => rng.Next(cfg.VocabSize)).ToArray();
        var targets = Enumerable.Range(0, n).Select(_ => rng.Next(cfg.VocabSize)).ToArray();
        var full = Enumerable.Repeat(1f, n).ToArray();
        var half = full.Select((w, i) => i % 256 < 128 ? 0f : w).ToArray();
        var few = full.Select((w, i) => i % 256 < 211 ? 0f : w).ToArray(); // 90 weighted rows
        Assert.True(double.IsFinite(trainer.TrainStep(tokens, targets, full, 2, 256).Loss));
        Assert.True(double.IsFinite(trainer.TrainStep(tokens, targets, half, 2, 256).Loss));
        Assert.True(double.IsFinite(trainer.TrainStep(tokens, targets, few, 2, 256).Loss));
        Assert.True(double.IsFinite(trainer.TrainStep(tokens.AsSpan(0, 256), targets.AsSpan(0, 256), full.AsSpan(0, 256), 1, 256).Loss));
        Assert.Equal(decided, g.Choices.Count);

        // A second trainer on the same model times nothing again.
        var again = new ModelTrainer(model, AdamWOptions.NielsGptPretrain, new Constant(1e-3f), 1f);
        Assert.Equal(trainer.GemmChoices.Select(c => c.Backend), again.GemmChoices.Select(c => c.Backend));
        Assert.Equal(decided, g.Choices.Count);
    }

    [Fact]
    public void The_list_has_each_linear_and_the_head_and_no_weight_gradient_under_lora()
    {
        var cfg = ModelConfig.NielsDefault(256);
        var model = new TransformerModel(cfg, 8, 256, gemm: new ManagedGemm(WorkerPool.Shared));
        var products = TrainingShapes.Of(model, 2048);
        foreach (var name in new[] { "qkv.forward", "qkv.backward.dx", "qkv.backward.dw", "outproj.forward", "mlpup.backward.dw", "mlpdown.forward", "lmhead.forward", "lmhead.backward.dw.add" })
            Assert.Contains(products, p => p.Name == name);
        var up = Assert.Single(products, p => p.Name == "mlpup.forward");
        Assert.Equal((false, true, 2048, 2 * cfg.DFf, cfg.DModel), (up.TransA, up.TransB, up.M, up.N, up.K));
        var dw = Assert.Single(products, p => p.Name == "qkv.backward.dw");
        Assert.Equal((true, false, 3 * cfg.DModel, cfg.DModel, 2048, true), (dw.TransA, dw.TransB, dw.M, dw.N, dw.K, dw.Accumulate));
        Assert.Contains(products, p => p.Name == "lmhead@256.forward" && p.M == 256);
        Assert.DoesNotContain(products, p => p.Name.StartsWith("qkv@512", StringComparison.Ordinal)); // the same class as 2048 rows

        var lora = new TransformerModel(cfg, 8, 256, new Dlm.Models.Lora.LoraConfig(8, 16, 0f, ["q_proj"]), new ManagedGemm(WorkerPool.Shared));
        Assert.DoesNotContain(TrainingShapes.Of(lora, 2048), p => p.Name.EndsWith(".dw", StringComparison.Ordinal) || p.Name.EndsWith(".dw.add", StringComparison.Ordinal));
    }
}
