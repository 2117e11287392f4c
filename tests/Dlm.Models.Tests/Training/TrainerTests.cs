using System.Globalization;
using Dlm.Core;
using Dlm.Models.Config;
using Dlm.Models.Lora;
using Dlm.Models.Optim;
using Dlm.Models.Tests.Transformer;
using Dlm.Models.Training;
using Dlm.Models.Transformer;

namespace Dlm.Models.Tests.Training;

public class TrainerTests
{
    public static TheoryData<string> Families => new() { "niels", "llama", "qwen2", "gpt2", "llama_lora" };

    private sealed class Constant(float lr) : ILearningRateSchedule
    {
        public float At(int step) => lr;
    }

    [Theory]
    [MemberData(nameof(Families))]
    public void Three_adamw_steps_match_pytorch(string name)
    {
        using var fx = new TorchFixture(name);
        var meta = fx.Expected.Metadata;
        float F(string k) => float.Parse(meta[k], CultureInfo.InvariantCulture);
        var model = fx.LoadModel();
        var trainer = new ModelTrainer(model, new AdamWOptions(F("beta1"), F("beta2"), F("eps"), F("weight_decay")), new Constant(F("lr")), F("clip"));
        int steps = int.Parse(meta["steps"], CultureInfo.InvariantCulture);
        for (int s = 0; s < steps; s++) trainer.TrainStep(fx.Tokens, fx.Targets, fx.Weights, fx.Batch, fx.Seq);
        Assert.Equal(steps, trainer.Step);
        foreach (var t in model.TrainableTensors)
        {
            var ours = Dlm.Models.IO.HfModelFolder.ToFileLayout(t, model.TrainableWeights.Slice(t.Offset, t.Length));
            TorchFixture.AssertClose("adamw3." + t.Name, ours, fx.Tensor("adamw3." + t.Name));
        }
    }

    private static (TransformerModel Model, ModelTrainer Trainer) NewRun(bool lora)
    {
        var cfg = ModelGradientTests.Tiny(ModelFamily.Niels, 0.2f);
        var model = new TransformerModel(cfg, 2, 6, lora ? new LoraConfig(2, 4, 0.1f, ["q_proj", "down_proj"]) : null);
        model.InitializeWeights(11);
        if (lora) ModelGradientTests.Randomize(model.TrainableWeights, 12, 0.1f);
        model.RngState = 1234;
        return (model, new ModelTrainer(model, new AdamWOptions(0.9f, 0.95f, 1e-8f, 0.1f), new Constant(3e-3f), 1f));
    }

    private static (int[] Tokens, int[] Targets, float[] Weights) Batch(int step)
    {
        var rng = new Random(100 + step);
        var tokens = Enumerable.Range(0, 12).Select(_ => rng.Next(11)).ToArray();
        var targets = Enumerable.Range(0, 12).Select(_ => rng.Next(11)).ToArray();
        var weights = Enumerable.Range(0, 12).Select(i => i % 5 == 0 ? 0f : 1f).ToArray();
        return (tokens, targets, weights);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Resuming_from_a_checkpoint_reproduces_the_uninterrupted_run_bit_for_bit(bool lora)
    {
        var (straight, straightTrainer) = NewRun(lora);
        var losses = new List<double>();
        for (int s = 0; s < 6; s++)
        {
            var (tk, tg, w) = Batch(s);
            losses.Add(straightTrainer.TrainStep(tk, tg, w, 2, 6).Loss);
        }

        var path = Path.Combine(Path.GetTempPath(), $"dlm-ckpt-{Guid.NewGuid():N}.safetensors");
        try
        {
            var (first, firstTrainer) = NewRun(lora);
            for (int s = 0; s < 3; s++)
            {
                var (tk, tg, w) = Batch(s);
                firstTrainer.TrainStep(tk, tg, w, 2, 6);
            }
            NativeCheckpoint.Save(path, firstTrainer);

            var (resumed, resumedTrainer) = NewRun(lora);
            resumed.RngState = 0; // must come back from the checkpoint
            NativeCheckpoint.Load(path, resumedTrainer);
            Assert.Equal(3, resumedTrainer.Step);
            for (int s = 3; s < 6; s++)
            {
                var (tk, tg, w) = Batch(s);
                Assert.Equal(losses[s], resumedTrainer.TrainStep(tk, tg, w, 2, 6).Loss);
            }
            Assert.Equal(straight.Weights.ToArray(), resumed.Weights.ToArray());
            Assert.Equal(straight.TrainableWeights.ToArray(), resumed.TrainableWeights.ToArray());
            Assert.Equal(straightTrainer.M, resumedTrainer.M);
            Assert.Equal(straightTrainer.V, resumedTrainer.V);
            Assert.Equal(straight.RngState, resumed.RngState);
            // Training losses carry dropout noise; the eval-mode loss on the batches seen must fall.
            var (fresh, _) = NewRun(lora);
            double Eval(TransformerModel m) => Enumerable.Range(0, 6).Sum(s =>
            {
                var (tk, tg, w) = Batch(s);
                return m.Forward(tk, tg, w, 2, 6, training: false).Mean;
            });
            Assert.True(Eval(straight) < Eval(fresh), "training should lower the loss");
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void A_checkpoint_for_another_model_is_refused()
    {
        var path = Path.Combine(Path.GetTempPath(), $"dlm-ckpt-{Guid.NewGuid():N}.safetensors");
        try
        {
            var (_, trainer) = NewRun(false);
            NativeCheckpoint.Save(path, trainer);
            var other = new TransformerModel(ModelGradientTests.Tiny(ModelFamily.Llama, 0f), 1, 4);
            var otherTrainer = new ModelTrainer(other, new AdamWOptions(0.9f, 0.95f, 1e-8f, 0.1f), new Constant(1e-3f));
            var e = Assert.Throws<DlmException>(() => NativeCheckpoint.Load(path, otherTrainer));
            Assert.Contains("different model", e.Message, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
