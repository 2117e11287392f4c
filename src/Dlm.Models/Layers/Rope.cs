using System.Runtime.Intrinsics;
using Dlm.Models.Config;

namespace Dlm.Models.Layers;

/// <summary>
/// Rotary position embedding. Pair i of a head (dims (2i, 2i+1) when interleaved as in niels,
/// (i, i + hd/2) in the Hugging Face split-half layout) turns by angle t·f_i, with
/// f_i = θ^(−2i/hd), optionally rescaled the Llama-3 way. Applied in place to the q and k
/// heads at the front of each fused q|k|v row; the backward pass turns back by −t·f_i.
/// </summary>
internal sealed class Rope
{
    private readonly float[] _cos;
    private readonly float[] _sin;
    private readonly int _half;
    private readonly bool _interleaved;
    // Interleaved layout, per position and dim: cos of the pair's angle, and −sin (even dim) / +sin (odd dim).
    private readonly float[] _cosPairs = [];
    private readonly float[] _sinPairs = [];

    public Rope(ModelConfig config, int maxT)
    {
        int hd = config.ResolvedHeadDim;
        _half = hd / 2;
        _interleaved = config.RopeInterleaved;
        var freq = InverseFrequencies(hd, config.RopeTheta, config.RopeScaling);
        _cos = new float[maxT * _half];
        _sin = new float[maxT * _half];
        // Angles in float32, as transformers computes them (inv_freq float32 times the float
        // position), so long positions round the way the reference models were trained with.
        for (int t = 0; t < maxT; t++)
            for (int i = 0; i < _half; i++)
            {
                float a = (float)freq[i] * t;
                _cos[t * _half + i] = (float)Math.Cos(a);
                _sin[t * _half + i] = (float)Math.Sin(a);
            }
        if (_interleaved && hd % 16 == 0)
        {
            _cosPairs = new float[maxT * hd];
            _sinPairs = new float[maxT * hd];
            for (int t = 0; t < maxT; t++)
                for (int i = 0; i < _half; i++)
                {
                    _cosPairs[t * hd + 2 * i] = _cosPairs[t * hd + 2 * i + 1] = _cos[t * _half + i];
                    _sinPairs[t * hd + 2 * i] = -_sin[t * _half + i];
                    _sinPairs[t * hd + 2 * i + 1] = _sin[t * _half + i];
                }
        }
    }

    /// <summary>f_i = θ^(−2i/hd), then the Llama-3 rule (transformers <c>_compute_llama3_parameters</c>).</summary>
    public static double[] InverseFrequencies(int headDim, double theta, RopeScaling? scaling)
    {
        var f = new double[headDim / 2];
        // float32 like transformers: 1 / base ** (arange(0, dim, 2).float() / dim)
        for (int i = 0; i < f.Length; i++) f[i] = 1f / (float)Math.Pow(theta, (float)(2 * i) / headDim);
        if (scaling is null) return f;
        double lowWavelen = scaling.OriginalMaxPositionEmbeddings / scaling.LowFreqFactor;
        double highWavelen = scaling.OriginalMaxPositionEmbeddings / scaling.HighFreqFactor;
        for (int i = 0; i < f.Length; i++)
        {
            double wavelen = 2 * Math.PI / f[i];
            double scaled = wavelen > lowWavelen ? f[i] / scaling.Factor : f[i];
            bool medium = !(wavelen < highWavelen) && !(wavelen > lowWavelen);
            if (medium)
            {
                double smooth = (scaling.OriginalMaxPositionEmbeddings / wavelen - scaling.LowFreqFactor) / (scaling.HighFreqFactor - scaling.LowFreqFactor);
                scaled = (1 - smooth) * scaled / scaling.Factor + smooth * scaled;
            }
            f[i] = scaled;
        }
        return f;
    }

    /// <summary>Rotates the first <paramref name="heads"/> heads of one row at position <paramref name="pos"/> (decoding: each row has its own position).</summary>
    public void ApplyAt(Span<float> row, int heads, int hd, int pos)
    {
        for (int h = 0; h < heads; h++) Turn(row.Slice(h * hd, hd), pos, 1f);
    }

    /// <summary>Rotates the first <paramref name="heads"/> heads of rows [start, end) of x (row width <paramref name="width"/>, T positions per sequence).</summary>
    public void Apply(Span<float> x, int width, int heads, int hd, int t, int start, int end, bool inverse)
    {
        float sign = inverse ? -1f : 1f;
        for (int r = start; r < end; r++)
        {
            int pos = r % t;
            for (int h = 0; h < heads; h++) Turn(x.Slice(r * width + h * hd, hd), pos, sign);
        }
    }

    // One head v (hd = 2·half floats) turned by the angles of position pos (sign −1: turned back).
    private void Turn(Span<float> v, int pos, float sign)
    {
        int hd = 2 * _half;
        var cos = _cos.AsSpan(pos * _half, _half);
        var sin = _sin.AsSpan(pos * _half, _half);
        if (Vector512.IsHardwareAccelerated && _cosPairs.Length > 0)
        {
            // Interleaved pairs: v·cos + swap(v)·(∓sin), swap exchanging the two dims of each pair; lane by
            // lane a·c + b·(−s) and b·c + a·s, which are the scalar loop's a·c − b·s and a·s + b·c exactly.
            var swap = Vector512.Create(1, 0, 3, 2, 5, 4, 7, 6, 9, 8, 11, 10, 13, 12, 15, 14);
            var cp = _cosPairs.AsSpan(pos * hd, hd);
            var sp = _sinPairs.AsSpan(pos * hd, hd);
            for (int i = 0; i < hd; i += 16)
            {
                var a = Vector512.Create(v.Slice(i, 16));
                var turned = a * Vector512.Create(cp.Slice(i, 16)) + Vector512.Shuffle(a, swap) * (Vector512.Create(sp.Slice(i, 16)) * sign);
                turned.CopyTo(v.Slice(i, 16));
            }
            return;
        }
        if (Vector512.IsHardwareAccelerated && !_interleaved && _half % 16 == 0)
        {
            // Split halves with 16-float halves (head dim 32, 64, ...): the two halves turn as whole vectors,
            // the scalar loop's operations lane by lane: a·c − b·s and a·s + b·c.
            for (int i = 0; i < _half; i += 16)
            {
                var c = Vector512.Create(cos.Slice(i, 16));
                var sn = Vector512.Create(sin.Slice(i, 16)) * sign;
                var a = Vector512.Create(v.Slice(i, 16));
                var b = Vector512.Create(v.Slice(i + _half, 16));
                (a * c - b * sn).CopyTo(v.Slice(i, 16));
                (a * sn + b * c).CopyTo(v.Slice(i + _half, 16));
            }
            return;
        }
        for (int i = 0; i < _half; i++)
        {
            int i0 = _interleaved ? 2 * i : i;
            int i1 = _interleaved ? 2 * i + 1 : i + _half;
            float c = cos[i], s = sign * sin[i];
            float a = v[i0], b = v[i1];
            v[i0] = a * c - b * s;
            v[i1] = a * s + b * c;
        }
    }
}
