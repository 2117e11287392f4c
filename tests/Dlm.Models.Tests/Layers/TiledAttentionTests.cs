using Dlm.Models.Config;
using Dlm.Models.Layers;
using Dlm.Models.Tests.Transformer;
using Dlm.Models.Transformer;
using Dlm.Numerics.Gemm;
using static Dlm.Models.Tests.Layers.FiniteDifference;

namespace Dlm.Models.Tests.Layers;

/// <summary>
/// The tiled (flash-style) attention against the scalar reference that keeps the full probabilities:
/// several sequence lengths and block sizes (T a multiple of the block and not), GQA and MQA,
/// with and without dropout on the probabilities, on every GEMM backend; and the whole model at
/// two block sizes.
/// </summary>
public class TiledAttentionTests
{
    [Theory]
    [InlineData(1, 4, 4, 2, 0f)]
    [InlineData(7, 3, 4, 2, 0f)]
    [InlineData(16, 4, 4, 4, 0f)]
    [InlineData(16, 16, 6, 3, 0f)]
    [InlineData(33, 8, 6, 2, 0f)]
    [InlineData(50, 64, 4, 1, 0f)]
    [InlineData(100, 32, 6, 3, 0f)]
    [InlineData(130, 64, 2, 2, 0f)]
    [InlineData(33, 8, 6, 2, 0.2f)]
    [InlineData(100, 32, 4, 1, 0.1f)]
    [InlineData(130, 64, 2, 2, 0.3f)]
    public void Tiled_attention_agrees_with_the_scalar_reference(int t, int block, int heads, int kvHeads, float dropout)
    {
        const int b = 2, hd = 8;
        const ulong state = 99;
        int width = (heads + 2 * kvHeads) * hd, n = b * t;
        var qkv = Random(n * width, 3, 2f);
        var dy = Random(n * heads * hd, 4);
        var yRef = new float[n * heads * hd];
        var att = new float[b * heads * t * t];
        var dRef = new float[qkv.Length];
        for (int u = 0; u < b * kvHeads; u++) Attention.ForwardReference(yRef, att, qkv, u, t, heads, kvHeads, hd, dropout, state);
        for (int u = 0; u < b * kvHeads; u++) Attention.BackwardReference(dRef, dy, att, qkv, new float[t], u, t, heads, kvHeads, hd, dropout, state);
        var lseRef = ReferenceLogSumExp(qkv, b, t, heads, kvHeads, hd);
        foreach (var g in GemmBackends.Available)
        {
            var y = new float[yRef.Length];
            var lse = new float[n * heads];
            var d = new float[qkv.Length];
            var scratch = new float[TiledAttention.ScratchFloats(t, block)];
            LayerGradientTests.TiledForward(g, y, lse, qkv, scratch, b, t, heads, kvHeads, hd, block, dropout, state);
            for (int u = 0; u < b * kvHeads; u++)
                TiledAttention.Backward(g, d, dy, y, lse, qkv, scratch, u / kvHeads, u % kvHeads, t, heads, kvHeads, hd, block, dropout, state);
            TorchFixture.AssertClose($"{g.Name} T={t} block={block} y", y, yRef, 1e-5);
            TorchFixture.AssertClose($"{g.Name} T={t} block={block} lse", lse, lseRef, 1e-5);
            TorchFixture.AssertClose($"{g.Name} T={t} block={block} dqkv", d, dRef, 1e-5);
        }
    }

    // log Σ_j≤i exp(scale·q_i·k_j) per (b, h, i), in double.
    private static float[] ReferenceLogSumExp(float[] qkv, int b, int t, int heads, int kvHeads, int hd)
    {
        int width = (heads + 2 * kvHeads) * hd;
        var lse = new float[b * heads * t];
        for (int s = 0; s < b; s++)
            for (int h = 0; h < heads; h++)
            {
                int g = h / (heads / kvHeads);
                for (int i = 0; i < t; i++)
                {
                    var scores = new double[i + 1];
                    for (int j = 0; j <= i; j++)
                    {
                        double dot = 0;
                        for (int c = 0; c < hd; c++)
                            dot += (double)qkv[(s * t + i) * width + h * hd + c] * qkv[(s * t + j) * width + heads * hd + g * hd + c];
                        scores[j] = dot / Math.Sqrt(hd);
                    }
                    double max = scores.Max();
                    lse[(s * heads + h) * t + i] = (float)(max + Math.Log(scores.Sum(x => Math.Exp(x - max))));
                }
            }
        return lse;
    }

    [Theory]
    [InlineData(ModelFamily.Llama, 0f)]
    [InlineData(ModelFamily.Niels, 0.2f)]
    [InlineData(ModelFamily.Gpt2, 0f)]
    public void The_model_gives_the_same_loss_and_gradients_at_any_attention_block(ModelFamily family, float dropout)
    {
        const int b = 2, t = 23;
        var cfg = ModelGradientTests.Tiny(family, dropout) with { ContextLength = t };
        var rng = new Random(3);
        var tokens = Enumerable.Range(0, b * t).Select(_ => rng.Next(cfg.VocabSize)).ToArray();
        var targets = Enumerable.Range(0, b * t).Select(_ => rng.Next(cfg.VocabSize)).ToArray();
        var weights = Enumerable.Repeat(1f, b * t).ToArray();
        (double Loss, float[] Grads) Pass(int block)
        {
            var model = new TransformerModel(cfg, b, t, gemm: GemmBackends.Managed) { AttentionBlock = block };
            model.InitializeWeights(5);
            ModelGradientTests.Randomize(model.Weights, 6, 0.3f);
            model.RngState = 17;
            var loss = model.Forward(tokens, targets, weights, b, t, training: true);
            model.ZeroGradients();
            model.Backward((float)(1.0 / loss.WeightSum));
            return (loss.Mean, model.TrainableGradients.ToArray());
        }
        var (l64, g64) = Pass(TiledAttention.DefaultBlock);
        foreach (int block in new[] { 1, 5, 8 })
        {
            var (l, g) = Pass(block);
            Assert.True(Math.Abs(l - l64) <= 1e-5 * Math.Abs(l64), $"block {block}: loss {l} vs {l64}");
            TorchFixture.AssertClose($"block {block} gradients", g, g64, 1e-5);
        }
    }
}
