using Dlm.Models.Config;
using Dlm.Models.Lora;
using Dlm.Models.Transformer;

namespace Dlm.Models.Tests.Transformer;

/// <summary>
/// The last block on the weighted rows only (TransformerModel.Tail.cs) gives the loss, the
/// log-probabilities, the gradients and the dropout stream of the full computation.
/// </summary>
public class LastBlockTailTests
{
    private const int B = 3, T = 8;

    public static TheoryData<ModelFamily, float, bool> Cases => new()
    {
        { ModelFamily.Niels, 0.2f, false },  // two masks on the attention branch, MLP biases
        { ModelFamily.Gpt2, 0.2f, false },   // LayerNorm, o_proj and MLP biases
        { ModelFamily.Llama, 0f, false },    // GQA, no dropout
        { ModelFamily.Llama, 0.2f, true },   // adapters with dropout on o_proj, up_proj and down_proj of the last block
        { ModelFamily.Niels, 0.2f, true },
    };

    private static TransformerModel Model(ModelFamily family, float dropout, bool lora, bool tail)
    {
        var cfg = ModelGradientTests.Tiny(family, dropout);
        var model = new TransformerModel(cfg, B, T, lora ? new LoraConfig(2, 4, 0.3f, ["q_proj", "o_proj", "up_proj", "down_proj"]) : null)
        {
            LastBlockOnWeightedRows = tail,
        };
        model.InitializeWeights(3);
        ModelGradientTests.Randomize(model.Weights, 4, 0.3f);
        if (lora) ModelGradientTests.Randomize(model.TrainableWeights, 5, 0.3f);
        model.RngState = 41;
        return model;
    }

    // An SFT-like batch: the first half of every sequence at weight 0, one target missing, a fractional weight.
    private static (int[] Tokens, int[] Targets, float[] Weights) Batch()
    {
        var rng = new Random(8);
        var tokens = Enumerable.Range(0, B * T).Select(_ => rng.Next(11)).ToArray();
        var targets = Enumerable.Range(0, B * T).Select(i => i == 13 ? -1 : rng.Next(11)).ToArray();
        var weights = Enumerable.Range(0, B * T).Select(i => i % T < T / 2 ? 0f : i == 22 ? 0.5f : 1f).ToArray();
        return (tokens, targets, weights);
    }

    private static void AssertClose(string what, ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        float max = 0, diff = 0;
        for (int i = 0; i < a.Length; i++)
        {
            max = Math.Max(max, Math.Abs(b[i]));
            diff = Math.Max(diff, Math.Abs(a[i] - b[i]));
        }
        Assert.True(diff / (max + 1e-8f) <= 1e-5f, $"{what}: max |a - b| = {diff} (max |b| {max})");
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Gives_the_full_computations_loss_gradients_and_dropout_stream(ModelFamily family, float dropout, bool lora)
    {
        var (tokens, targets, weights) = Batch();
        foreach (bool training in new[] { true, false })
        {
            var full = Model(family, dropout, lora, tail: false);
            var tail = Model(family, dropout, lora, tail: true);
            var lf = full.Forward(tokens, targets, weights, B, T, training);
            var lt = tail.Forward(tokens, targets, weights, B, T, training);
            Assert.False(full.TailRan);
            Assert.True(tail.TailRan);
            Assert.Equal(lf.WeightSum, lt.WeightSum);
            Assert.Equal(lf.Sum, lt.Sum, Math.Abs(lf.Sum) * 1e-6);
            AssertClose("logprobs", tail.TokenLogprobs, full.TokenLogprobs);
            // Every mask drawn for a kept row is the full pass's, and the stream ends where the full pass's does.
            Assert.Equal(full.RngState, tail.RngState);
            full.ZeroGradients();
            tail.ZeroGradients();
            full.Backward((float)(1.0 / lf.WeightSum));
            tail.Backward((float)(1.0 / lt.WeightSum));
            var gf = full.TrainableGradients.ToArray();
            var gt = tail.TrainableGradients.ToArray();
            foreach (var t in full.TrainableTensors)
                AssertClose($"{family} {(training ? "training" : "eval")} grad {t.Name}", gt.AsSpan(t.Offset, t.Length), gf.AsSpan(t.Offset, t.Length));
        }
    }

    [Fact]
    public void Runs_only_where_some_rows_are_left_out_under_the_weighted_head()
    {
        var (tokens, targets, weights) = Batch();
        var model = Model(ModelFamily.Niels, 0f, false, tail: true);
        model.Forward(tokens, targets, weights, B, T, training: true, HeadMode.Targets);
        Assert.False(model.TailRan); // every row with a target gets its logprob
        model.Forward(tokens, Enumerable.Repeat(1, B * T).ToArray(), Enumerable.Repeat(1f, B * T).ToArray(), B, T, training: true);
        Assert.False(model.TailRan); // nothing to leave out
        model.Forward(tokens, targets, weights, B, T, training: true);
        Assert.True(model.TailRan);
        // A shorter batch after a longer one uses the first rows of the same buffers.
        var loss = model.Forward(tokens.AsSpan(0, 2 * T), targets.AsSpan(0, 2 * T), weights.AsSpan(0, 2 * T), 2, T, training: false);
        var reference = Model(ModelFamily.Niels, 0f, false, tail: false);
        var want = reference.Forward(tokens.AsSpan(0, 2 * T), targets.AsSpan(0, 2 * T), weights.AsSpan(0, 2 * T), 2, T, training: false);
        Assert.Equal(want.Sum, loss.Sum, Math.Abs(want.Sum) * 1e-6);
    }
}
