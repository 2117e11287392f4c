using Dlm.Models.Config;
using Dlm.Models.Lora;
using Dlm.Models.Tests.Layers;
using Dlm.Models.Transformer;

namespace Dlm.Models.Tests.Transformer;

/// <summary>Whole-model gradients against finite differences, with dropout on (a fixed mask per evaluation).</summary>
public class ModelGradientTests
{
    internal static ModelConfig Tiny(ModelFamily family, float dropout) => new()
    {
        Family = family,
        ModelType = family switch { ModelFamily.Niels => "niels", ModelFamily.Gpt2 => "gpt2", _ => "llama" },
        VocabSize = 11, ContextLength = 8, DModel = 8, Layers = 2, Heads = 2,
        KvHeads = family == ModelFamily.Llama ? 1 : 2, DFf = 12,
        QkvBias = family != ModelFamily.Niels, OutBias = family == ModelFamily.Gpt2,
        MlpBias = family != ModelFamily.Llama, TiedEmbeddings = family != ModelFamily.Llama,
        RopeScaling = family == ModelFamily.Llama ? new RopeScaling(2, 1, 4, 4) : null,
        Dropout = dropout,
    };

    internal static void Randomize(Span<float> weights, int seed, float scale)
    {
        var r = FiniteDifference.Random(weights.Length, seed, scale);
        for (int i = 0; i < weights.Length; i++) weights[i] += r[i];
    }

    [Theory]
    [InlineData(ModelFamily.Niels, 0.2f, false)]
    [InlineData(ModelFamily.Llama, 0f, false)]
    [InlineData(ModelFamily.Gpt2, 0.2f, false)]
    [InlineData(ModelFamily.Llama, 0.2f, true)]
    [InlineData(ModelFamily.Niels, 0.2f, true)]
    public void Model_gradients_match_finite_differences(ModelFamily family, float dropout, bool lora)
    {
        const int b = 2, t = 5;
        var cfg = Tiny(family, dropout);
        var model = new TransformerModel(cfg, b, t, lora ? new LoraConfig(2, 4, 0.3f, ["q_proj", "v_proj", "up_proj", "down_proj"]) : null);
        model.InitializeWeights(3);
        Randomize(model.Weights, 4, 0.3f);
        if (lora) Randomize(model.TrainableWeights, 5, 0.3f);
        var rng = new Random(6);
        int[] tokens = Enumerable.Range(0, b * t).Select(_ => rng.Next(cfg.VocabSize)).ToArray();
        int[] targets = Enumerable.Range(0, b * t).Select(i => i == 3 ? -100 : rng.Next(cfg.VocabSize)).ToArray();
        float[] weights = Enumerable.Range(0, b * t).Select(i => i % 4 == 0 ? 0.5f : 1f).ToArray();
        const ulong seed = 99;

        double Loss()
        {
            model.RngState = seed;
            return model.Forward(tokens, targets, weights, b, t, training: true).Mean;
        }
        var lossResult = model.Forward(tokens, targets, weights, b, t, training: true);
        model.RngState = seed;
        lossResult = model.Forward(tokens, targets, weights, b, t, training: true);
        model.ZeroGradients();
        model.Backward((float)(1.0 / lossResult.WeightSum));
        var analytic = model.TrainableGradients.ToArray();

        // Perturb the trainable arena in place through a float[] view of it.
        var view = model.TrainableWeights.ToArray();
        double ViewLoss()
        {
            view.CopyTo(model.TrainableWeights);
            return Loss();
        }
        FiniteDifference.Check($"{family} model", view, analytic, ViewLoss, h: 1e-2f, tol: 5e-3, samples: 300);
    }

    [Fact]
    public void Dropout_is_off_in_eval_and_changes_training_losses()
    {
        var cfg = Tiny(ModelFamily.Niels, 0.3f);
        var model = new TransformerModel(cfg, 1, 6);
        model.InitializeWeights(1);
        Randomize(model.Weights, 2, 0.3f);
        int[] tokens = [1, 2, 3, 4, 5, 6];
        int[] targets = [2, 3, 4, 5, 6, 7];
        float[] w = [1, 1, 1, 1, 1, 1];
        var e1 = model.Forward(tokens, targets, w, 1, 6, training: false).Mean;
        var e2 = model.Forward(tokens, targets, w, 1, 6, training: false).Mean;
        Assert.Equal(e1, e2);
        var t1 = model.Forward(tokens, targets, w, 1, 6, training: true).Mean;
        var t2 = model.Forward(tokens, targets, w, 1, 6, training: true).Mean;
        Assert.NotEqual(t1, t2);
        Assert.NotEqual(e1, t1);
        model.RngState = 5;
        var s1 = model.Forward(tokens, targets, w, 1, 6, training: true).Mean;
        model.RngState = 5;
        var s2 = model.Forward(tokens, targets, w, 1, 6, training: true).Mean;
        Assert.Equal(s1, s2);
    }

    [Fact]
    public void Shorter_batches_reuse_the_buffers_and_give_the_same_answer()
    {
        var cfg = Tiny(ModelFamily.Llama, 0f);
        var big = new TransformerModel(cfg, 3, 8);
        var small = new TransformerModel(cfg, 1, 4);
        big.InitializeWeights(1);
        Randomize(big.Weights, 2, 0.3f);
        big.Weights.CopyTo(small.Weights);
        int[] tokens = [1, 5, 7, 2];
        big.Forward(tokens, [], [], 1, 4, training: false);
        small.Forward(tokens, [], [], 1, 4, training: false);
        Assert.Equal(small.Logits.ToArray(), big.Logits.ToArray());
    }
}

public class InferenceOnlyTests
{
    [Theory]
    [InlineData("gpt2")]
    [InlineData("llama")]
    public void Inference_only_models_give_the_same_logits_and_refuse_backward(string name)
    {
        using var fx = new TorchFixture(name);
        var folder = fx.Folder;
        var model = Dlm.Models.IO.HfModelFolder.LoadModel(folder, fx.Batch, fx.Seq, inferenceOnly: true);
        var loss = model.Forward(fx.Tokens, fx.Targets, fx.Weights, fx.Batch, fx.Seq, training: false, HeadMode.Logits);
        TorchFixture.AssertClose("logits", model.Logits, fx.Tensor("logits"));
        TorchFixture.AssertClose("loss", [(float)loss.Mean], fx.Tensor("loss"));
        // The chunked head gives the same loss without keeping the logits.
        var chunked = model.Forward(fx.Tokens, fx.Targets, fx.Weights, fx.Batch, fx.Seq, training: false);
        TorchFixture.AssertClose("loss (chunked head)", [(float)chunked.Mean], fx.Tensor("loss"));
        Assert.Equal(0, model.TrainableGradients.Length);
        Assert.Throws<InvalidOperationException>(() => model.Backward(1f));
    }
}
