using Dlm.Models.Config;
using Dlm.Models.Layers;
using Dlm.Numerics.Gemm;
using static Dlm.Models.Tests.Layers.FiniteDifference;

namespace Dlm.Models.Tests.Layers;

/// <summary>Each layer's Backward against finite differences of its Forward (no Python needed).</summary>
public class LayerGradientTests
{
    private const int Rows = 5, C = 12;

    [Fact]
    public void RmsNorm_backward_matches_finite_differences()
    {
        var x = Random(Rows * C, 1);
        var w = Random(C, 2, 0.5f, 1f);
        var r = Random(Rows * C, 3);
        var y = new float[Rows * C];
        var rstd = new float[Rows];
        double Loss()
        {
            RmsNorm.Forward(y, rstd, x, w, 1e-5f, C, 0, Rows);
            return Dot(y, r);
        }
        Loss();
        var dx = new float[x.Length];
        var dw = new float[C];
        RmsNorm.Backward(dx, dw, r, x, w, rstd, C, 0, Rows);
        Check("rmsnorm dx", x, dx, Loss);
        Check("rmsnorm dw", w, dw, Loss);
    }

    [Fact]
    public void LayerNorm_backward_matches_finite_differences()
    {
        var x = Random(Rows * C, 1);
        var w = Random(C, 2, 0.5f, 1f);
        var b = Random(C, 4);
        var r = Random(Rows * C, 3);
        var y = new float[Rows * C];
        var mean = new float[Rows];
        var rstd = new float[Rows];
        double Loss()
        {
            LayerNorm.Forward(y, mean, rstd, x, w, b, 1e-5f, C, 0, Rows);
            return Dot(y, r);
        }
        Loss();
        var dx = new float[x.Length];
        var dw = new float[C];
        var db = new float[C];
        LayerNorm.Backward(dx, dw, db, r, x, w, mean, rstd, C, 0, Rows);
        Check("layernorm dx", x, dx, Loss);
        Check("layernorm dw", w, dw, Loss);
        Check("layernorm db", b, db, Loss);
    }

    [Fact]
    public void Linear_backward_matches_finite_differences_with_a_strided_output()
    {
        const int inF = 7, outF = 5, ldy = 9;
        IGemm g = GemmBackends.Managed;
        var x = Random(Rows * inF, 1);
        var w = Random(outF * inF, 2);
        var b = Random(outF, 3);
        var r = Random(Rows * ldy, 4);
        var y = new float[Rows * ldy];
        double Loss()
        {
            Linear.Forward(g, y, ldy, x, w, b, Rows, inF, outF);
            double s = 0;
            for (int i = 0; i < Rows; i++) s += Dot(y.AsSpan(i * ldy, outF), r.AsSpan(i * ldy, outF));
            return s;
        }
        var dx = new float[x.Length];
        var dw = new float[w.Length];
        var db = new float[outF];
        Linear.BackwardInput(g, dx, r, ldy, w, Rows, inF, outF, accumulate: false);
        Linear.BackwardParams(g, dw, db, r, ldy, x, Rows, inF, outF);
        Check("linear dx", x, dx, Loss);
        Check("linear dw", w, dw, Loss);
        Check("linear db", b, db, Loss);
    }

    [Theory]
    [InlineData(ModelFamily.Niels, false)]
    [InlineData(ModelFamily.Llama, false)]
    [InlineData(ModelFamily.Llama, true)]
    public void Rope_backward_is_the_transposed_rotation(ModelFamily family, bool scaled)
    {
        var cfg = new ModelConfig
        {
            Family = family, ModelType = family == ModelFamily.Niels ? "niels" : "llama", VocabSize = 8, ContextLength = 16,
            DModel = 16, Layers = 1, Heads = 2, KvHeads = 1, DFf = 8, RopeTheta = 100,
            RopeScaling = scaled ? new RopeScaling(4, 1, 4, 4) : null,
        };
        var rope = new Rope(cfg, 6);
        const int t = 6, hd = 8, width = 4 * hd; // q, q, k, v heads
        var x = Random(2 * t * width, 1);
        var r = Random(x.Length, 2);
        var y = new float[x.Length];
        double Loss()
        {
            x.CopyTo(y, 0);
            rope.Apply(y, width, 3, hd, t, 0, 2 * t, inverse: false);
            return Dot(y, r);
        }
        var dx = (float[])r.Clone();
        rope.Apply(dx, width, 3, hd, t, 0, 2 * t, inverse: true);
        Check("rope dx", x, dx, Loss);
        // The v head passes through untouched.
        Loss();
        for (int row = 0; row < 2 * t; row++)
            Assert.Equal(x.AsSpan(row * width + 3 * hd, hd).ToArray(), y.AsSpan(row * width + 3 * hd, hd).ToArray());
    }

    [Theory]
    [InlineData(4, 4, false)]
    [InlineData(4, 2, false)]
    [InlineData(4, 1, false)]
    [InlineData(4, 4, true)]
    [InlineData(4, 2, true)]
    [InlineData(4, 1, true)]
    public void Attention_backward_matches_finite_differences(int heads, int kvHeads, bool tiled)
    {
        // Blocks of 2 over 5 positions: full blocks, diagonal blocks and a last partial block.
        const int b = 2, t = 5, hd = 4, block = 2;
        int width = (heads + 2 * kvHeads) * hd, n = b * t;
        var qkv = Random(n * width, 1);
        var r = Random(n * heads * hd, 2);
        var y = new float[n * heads * hd];
        var att = new float[b * heads * t * t];
        var lse = new float[n * heads];
        var scratch = new float[TiledAttention.ScratchFloats(t, block)];
        IGemm g = GemmBackends.Managed;
        double Loss()
        {
            if (tiled) TiledForward(g, y, lse, qkv, scratch, b, t, heads, kvHeads, hd, block);
            else for (int u = 0; u < b * kvHeads; u++) Attention.ForwardReference(y, att, qkv, u, t, heads, kvHeads, hd);
            return Dot(y, r);
        }
        Loss();
        var d = new float[qkv.Length];
        if (tiled)
            for (int u = 0; u < b * kvHeads; u++) TiledAttention.Backward(g, d, r, y, lse, qkv, scratch, u / kvHeads, u % kvHeads, t, heads, kvHeads, hd, block);
        else
            for (int u = 0; u < b * kvHeads; u++) Attention.BackwardReference(d, r, att, qkv, new float[t], u, t, heads, kvHeads, hd);
        Check("attention dqkv", qkv, d, Loss);
    }

    [Theory]
    [InlineData(4, 4, false)]
    [InlineData(4, 2, false)]
    [InlineData(4, 4, true)]
    [InlineData(4, 2, true)]
    public void Attention_with_dropout_on_the_probabilities_matches_finite_differences(int heads, int kvHeads, bool tiled)
    {
        // The mask comes from a fixed stream state, so each evaluation drops the same entries.
        const int b = 2, t = 5, hd = 4, block = 2;
        const float p = 0.3f;
        const ulong state = 1234;
        int width = (heads + 2 * kvHeads) * hd, n = b * t;
        var qkv = Random(n * width, 1);
        var r = Random(n * heads * hd, 2);
        var y = new float[n * heads * hd];
        var att = new float[b * heads * t * t];
        var lse = new float[n * heads];
        var scratch = new float[TiledAttention.ScratchFloats(t, block)];
        IGemm g = GemmBackends.Managed;
        double Loss()
        {
            if (tiled) TiledForward(g, y, lse, qkv, scratch, b, t, heads, kvHeads, hd, block, p, state);
            else for (int u = 0; u < b * kvHeads; u++) Attention.ForwardReference(y, att, qkv, u, t, heads, kvHeads, hd, p, state);
            return Dot(y, r);
        }
        Loss();
        // Dropout is really on: y differs from the undropped output.
        var undropped = new float[y.Length];
        for (int u = 0; u < b * kvHeads; u++) Attention.ForwardReference(undropped, new float[att.Length], qkv, u, t, heads, kvHeads, hd);
        Assert.NotEqual(undropped, y);
        var d = new float[qkv.Length];
        if (tiled)
            for (int u = 0; u < b * kvHeads; u++)
                TiledAttention.Backward(g, d, r, y, lse, qkv, scratch, u / kvHeads, u % kvHeads, t, heads, kvHeads, hd, block, p, state);
        else
            for (int u = 0; u < b * kvHeads; u++) Attention.BackwardReference(d, r, att, qkv, new float[t], u, t, heads, kvHeads, hd, p, state);
        Check("attention dqkv with dropout", qkv, d, Loss);
    }

    [Fact]
    public void Attention_is_causal()
    {
        const int t = 7, hd = 2, heads = 1, width = 3 * hd, block = 3;
        var qkv = Random(t * width, 1);
        var (y1, y2) = (new float[t * hd], new float[t * hd]);
        var (lse, scratch) = (new float[t], new float[TiledAttention.ScratchFloats(t, block)]);
        TiledForward(GemmBackends.Default, y1, lse, qkv, scratch, 1, t, heads, 1, hd, block);
        for (int j = 0; j < width; j++) qkv[(t - 1) * width + j] += 1f; // change only the last position
        TiledForward(GemmBackends.Default, y2, lse, qkv, scratch, 1, t, heads, 1, hd, block);
        Assert.Equal(y1.AsSpan(0, (t - 1) * hd).ToArray(), y2.AsSpan(0, (t - 1) * hd).ToArray());
        Assert.NotEqual(y1[(t - 1) * hd], y2[(t - 1) * hd]);
    }

    /// <summary>Every (sequence, head, query block) of <see cref="TiledAttention.Forward"/>, as the model runs them.</summary>
    internal static void TiledForward(IGemm g, Span<float> y, Span<float> lse, ReadOnlySpan<float> qkv, Span<float> scratch,
        int b, int t, int heads, int kvHeads, int hd, int block, float p = 0f, ulong state = 0)
    {
        int blocks = TiledAttention.Blocks(t, block);
        for (int bh = 0; bh < b * heads; bh++)
            for (int qb = 0; qb < blocks; qb++)
                TiledAttention.Forward(g, y, lse, qkv, scratch, bh / heads, bh % heads, qb, t, heads, kvHeads, hd, block, p, state);
    }

    [Fact]
    public void SwiGlu_backward_matches_finite_differences()
    {
        const int f = 6;
        var fc = Random(Rows * 2 * f, 1, 2f);
        var r = Random(Rows * f, 2);
        var act = new float[Rows * f];
        double Loss()
        {
            Activations.SwiGluForward(act, fc, f, 0, Rows);
            return Dot(act, r);
        }
        var d = new float[fc.Length];
        Activations.SwiGluBackward(d, r, fc, f, 0, Rows);
        Check("swiglu dfc", fc, d, Loss);
    }

    [Fact]
    public void Gelu_backward_matches_finite_differences()
    {
        const int f = 6;
        var x = Random(Rows * f, 1, 3f);
        var r = Random(x.Length, 2);
        var y = new float[x.Length];
        double Loss()
        {
            Activations.GeluForward(y, x, f, 0, Rows);
            return Dot(y, r);
        }
        var d = new float[x.Length];
        Activations.GeluBackward(d, r, x, f, 0, Rows);
        Check("gelu dx", x, d, Loss);
    }

    [Fact]
    public void CrossEntropy_backward_matches_finite_differences_with_weights_and_ignored_targets()
    {
        const int v = 9;
        var logits = Random(Rows * v, 1, 3f);
        int[] targets = [3, -100, 0, 8, 5];
        float[] weights = [1f, 1f, 0.5f, 2f, 0f];
        var logp = new float[Rows];
        var lse = new float[Rows];
        double Loss()
        {
            CrossEntropy.Forward(logp, lse, logits, targets, new float[v], v, 0, Rows);
            double s = 0;
            for (int i = 0; i < Rows; i++) if (targets[i] >= 0) s -= weights[i] * (double)logp[i];
            return s;
        }
        Loss();
        Assert.Equal(0f, logp[1]);
        var d = (float[])logits.Clone();
        CrossEntropy.Backward(d, lse, targets, weights, 1f, v, 0, Rows);
        Check("cross-entropy dlogits", logits, d, Loss);
        Assert.All(d.AsSpan(v, v).ToArray(), x => Assert.Equal(0f, x));
        Assert.All(d.AsSpan(4 * v, v).ToArray(), x => Assert.Equal(0f, x));
    }

    [Fact]
    public void Embedding_backward_matches_finite_differences()
    {
        const int vocab = 6, b = 2, t = 3;
        var wte = Random(vocab * C, 1);
        var wpe = Random(t * C, 2);
        int[] tokens = [1, 4, 1, 0, 5, 4];
        var r = Random(b * t * C, 3);
        var y = new float[b * t * C];
        double Loss()
        {
            Embedding.Forward(y, tokens, wte, wpe, b, t, C);
            return Dot(y, r);
        }
        var dwte = new float[wte.Length];
        var dwpe = new float[wpe.Length];
        Embedding.Backward(dwte, dwpe, r, tokens, b, t, C);
        Check("embedding dwte", wte, dwte, Loss);
        Check("embedding dwpe", wpe, dwpe, Loss);
    }

    [Fact]
    public void Dropout_mask_is_seeded_and_scaled()
    {
        var m1 = new float[10_000];
        var m2 = new float[10_000];
        var rng1 = new SplitMix64(42);
        var rng2 = new SplitMix64(42);
        Dropout.DrawMask(m1, 0.25f, ref rng1);
        Dropout.DrawMask(m2, 0.25f, ref rng2);
        Assert.Equal(m1, m2);
        Assert.All(m1, x => Assert.True(x == 0f || Math.Abs(x - 1f / 0.75f) < 1e-6));
        double dropped = m1.Count(x => x == 0f) / (double)m1.Length;
        Assert.InRange(dropped, 0.22, 0.28);
        Assert.Equal(rng1.State, rng2.State);
    }
}
