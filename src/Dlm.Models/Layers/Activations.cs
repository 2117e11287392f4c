using System.Numerics.Tensors;
using System.Runtime.Intrinsics;

namespace Dlm.Models.Layers;

/// <summary>SwiGLU (<c>silu(gate)·up</c> over a fused gate|up row) and GELU with the tanh approximation.</summary>
internal static class Activations
{
    /// <summary>act[r, i] = silu(fc[r, i]) · fc[r, f + i] for rows [start, end).</summary>
    public static void SwiGluForward(Span<float> act, ReadOnlySpan<float> fc, int f, int start, int end)
    {
        for (int r = start; r < end; r++)
        {
            var g = fc.Slice(r * 2 * f, f);
            var u = fc.Slice(r * 2 * f + f, f);
            var a = act.Slice(r * f, f);
            TensorPrimitives.Sigmoid(g, a);
            TensorPrimitives.Multiply(a, g, a);
            TensorPrimitives.Multiply(a, u, a);
        }
    }

    /// <summary>dfc (overwritten) from dact: d gate = dact·u·σ(g)(1 + g(1 − σ(g))), d up = dact·silu(g).</summary>
    public static void SwiGluBackward(Span<float> dfc, ReadOnlySpan<float> dact, ReadOnlySpan<float> fc, int f, int start, int end)
    {
        for (int r = start; r < end; r++)
        {
            var g = fc.Slice(r * 2 * f, f);
            var u = fc.Slice(r * 2 * f + f, f);
            var da = dact.Slice(r * f, f);
            var dg = dfc.Slice(r * 2 * f, f);
            var du = dfc.Slice(r * 2 * f + f, f);
            TensorPrimitives.Sigmoid(g, dg);
            int i = 0;
            if (Vector512.IsHardwareAccelerated)
            {
                // The scalar loop below, sixteen lanes at a time (the same operations in the same order).
                var one = Vector512<float>.One;
                for (; i + 16 <= f; i += 16)
                {
                    var x = Vector512.Create(g.Slice(i, 16));
                    var sig = Vector512.Create(dg.Slice(i, 16));
                    var d = Vector512.Create(da.Slice(i, 16));
                    var up = Vector512.Create(u.Slice(i, 16));
                    (d * x * sig).CopyTo(du.Slice(i, 16));
                    (d * up * sig * (one + x * (one - sig))).CopyTo(dg.Slice(i, 16));
                }
            }
            for (; i < f; i++)
            {
                float x = g[i];
                float sig = dg[i];
                du[i] = da[i] * x * sig;
                dg[i] = da[i] * u[i] * sig * (1f + x * (1f - sig));
            }
        }
    }

    private const float GeluScale = 0.7978845608028654f; // sqrt(2/pi)

    /// <summary>GELU, tanh form (Hugging Face <c>gelu_new</c>), rows [start, end) of width f.</summary>
    public static void GeluForward(Span<float> y, ReadOnlySpan<float> x, int f, int start, int end)
    {
        for (int i = start * f; i < end * f; i++)
        {
            float v = x[i];
            y[i] = 0.5f * v * (1f + MathF.Tanh(GeluScale * (v + 0.044715f * v * v * v)));
        }
    }

    /// <summary>dx (overwritten) = dy · GELU'(x).</summary>
    public static void GeluBackward(Span<float> dx, ReadOnlySpan<float> dy, ReadOnlySpan<float> x, int f, int start, int end)
    {
        for (int i = start * f; i < end * f; i++)
        {
            float v = x[i];
            float u = GeluScale * (v + 0.044715f * v * v * v);
            float th = MathF.Tanh(u);
            float sech2 = 1f - th * th;
            dx[i] = dy[i] * (0.5f * (1f + th) + 0.5f * v * sech2 * GeluScale * (1f + 3f * 0.044715f * v * v));
        }
    }
}
