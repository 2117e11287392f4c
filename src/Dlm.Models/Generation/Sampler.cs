using System.Numerics.Tensors;
using Dlm.Models.Layers;
using Dlm.Numerics.Kernels;

namespace Dlm.Models.Generation;

/// <summary>
/// Chooses the next token of one sample from its logits, following <see cref="SamplingParams"/>:
/// repetition penalty over the tokens seen so far, banned ids, temperature (0: greedy), top-k,
/// top-p, min-p, then one uniform draw from the sample's own seeded stream. Holds the sample's
/// generator and seen-token set, and scratch the size of the vocabulary (reused every step).
/// </summary>
public sealed class Sampler
{
    private readonly SamplingParams _p;
    private readonly float[] _work, _probs;
    private readonly int[] _ids;
    private readonly bool[] _seen;
    private readonly List<int> _seenList = [];
    private SplitMix64 _rng;

    /// <summary>A sampler for a vocabulary of <paramref name="vocabSize"/>, drawing from <paramref name="seed"/>'s stream.</summary>
    public Sampler(SamplingParams parameters, int vocabSize, ulong seed)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        _p = parameters;
        _work = new float[vocabSize];
        _probs = new float[vocabSize];
        _ids = new int[vocabSize];
        _seen = new bool[vocabSize];
        _rng = new SplitMix64(seed);
    }

    /// <summary>The stream of sample <paramref name="index"/> for a request seeded with <paramref name="seed"/> (independent streams).</summary>
    public static ulong StreamSeed(long seed, int index)
    {
        var mix = new SplitMix64(unchecked((ulong)seed ^ ((ulong)index * 0xD1B54A32D192ED03UL)));
        return mix.Next();
    }

    /// <summary>Marks tokens as seen (the prompt, for the repetition penalty).</summary>
    public void Observe(ReadOnlySpan<int> tokens)
    {
        foreach (int t in tokens)
        {
            if ((uint)t >= (uint)_seen.Length || _seen[t]) continue;
            _seen[t] = true;
            _seenList.Add(t);
        }
    }

    /// <summary>Picks the next token from <paramref name="logits"/> (left unchanged) and marks it seen.</summary>
    public int Next(ReadOnlySpan<float> logits)
    {
        int v = _work.Length;
        var x = _work.AsSpan();
        logits[..v].CopyTo(x);
        float pen = _p.RepetitionPenalty;
        if (pen != 1f)
            foreach (int t in _seenList) x[t] = x[t] > 0 ? x[t] / pen : x[t] * pen;
        foreach (int t in _p.BannedTokens)
            if ((uint)t < (uint)v) x[t] = float.NegativeInfinity;
        int chosen = _p.Temperature == 0 ? TensorPrimitives.IndexOfMax(x) : Draw(x);
        Observe([chosen]);
        return chosen;
    }

    private int Draw(Span<float> x)
    {
        int v = x.Length;
        TensorPrimitives.Multiply(x, 1f / _p.Temperature, x);
        if (_p.TopK > 0 && _p.TopK < v)
        {
            // Keep every token at or above the k-th largest logit (ties kept, as Hugging Face does).
            x.CopyTo(_probs);
            float kth = Select(_probs.AsSpan(), v - _p.TopK);
            for (int i = 0; i < v; i++) if (x[i] < kth) x[i] = float.NegativeInfinity;
        }
        var p = _probs.AsSpan();
        float max = TensorPrimitives.Max(x);
        if (float.IsNegativeInfinity(max)) return TensorPrimitives.IndexOfMax(x); // everything banned: nothing to draw from
        float sum = FastExp.ExpShiftedSum(x, max, p);
        TensorPrimitives.Multiply(p, 1f / sum, p);
        if (_p.TopP < 1f) TopP(p, _p.TopP);
        if (_p.MinP > 0f)
        {
            float floor = _p.MinP * TensorPrimitives.Max(p);
            for (int i = 0; i < v; i++) if (p[i] < floor) p[i] = 0f;
        }
        double total = 0;
        for (int i = 0; i < v; i++) total += p[i];
        double u = (_rng.Next() >> 11) * (1.0 / (1UL << 53)) * total, acc = 0;
        int last = -1;
        for (int i = 0; i < v; i++)
        {
            if (p[i] <= 0f) continue;
            acc += p[i];
            last = i;
            if (u < acc) return i;
        }
        return last;
    }

    // Zeroes every token outside the nucleus: the fewest most probable tokens whose mass reaches topP
    // (a token stays when the mass ranked strictly above it is below topP; among tokens of equal
    // probability at the boundary the lower ids rank first). Only tokens above a probability floor
    // whose mass already reaches topP can be kept, so only those are candidates (the floor falls by
    // 1000x until it covers enough mass), and the boundary is found by a selection on the candidates'
    // probabilities weighted by their mass (three-way partitions, expected linear), not by sorting
    // them: a flat distribution at a high temperature has tens of thousands of candidates.
    private void TopP(Span<float> p, float topP)
    {
        int v = p.Length;
        float pmax = TensorPrimitives.Max(p);
        float floor = pmax * 1e-3f;
        int n;
        while (true)
        {
            n = 0;
            double mass = 0;
            for (int i = 0; i < v; i++)
                if (p[i] >= floor && p[i] > 0) { _ids[n++] = i; mass += p[i]; }
            if (mass >= topP || floor == 0f) break;
            floor = floor < 1e-30f ? 0f : floor * 1e-3f;
        }
        int keep = NucleusSize(p, _ids.AsSpan(0, n), topP);
        // The first `keep` ids are the nucleus; everything else goes.
        var kept = _seenScratch ??= new bool[v];
        for (int j = 0; j < keep; j++) kept[_ids[j]] = true;
        for (int i = 0; i < v; i++) if (!kept[i]) p[i] = 0f;
        for (int j = 0; j < keep; j++) kept[_ids[j]] = false;
    }

    // Reorders ids so that the nucleus comes first and returns its size. Invariant: ids[..lo) are
    // all ranked above ids[lo..hi), their mass `above` is below topP, and the boundary lies in [lo, hi).
    internal static int NucleusSize(ReadOnlySpan<float> p, Span<int> ids, float topP)
    {
        int lo = 0, hi = ids.Length;
        double above = 0;
        while (lo < hi)
        {
            float pivot = Median3(p[ids[lo]], p[ids[lo + (hi - lo) / 2]], p[ids[hi - 1]]);
            // Three-way partition of [lo, hi): greater than the pivot, equal, less.
            int g = lo, e = lo, l = hi;
            while (e < l)
            {
                float x = p[ids[e]];
                if (x > pivot) { (ids[g], ids[e]) = (ids[e], ids[g]); g++; e++; }
                else if (x < pivot) { l--; (ids[e], ids[l]) = (ids[l], ids[e]); }
                else e++;
            }
            double greater = 0;
            for (int j = lo; j < g; j++) greater += p[ids[j]];
            if (g > lo && above + greater >= topP) { hi = g; continue; } // the boundary is among the greater
            double equal = 0;
            for (int j = g; j < e; j++) equal += p[ids[j]];
            if (above + greater + equal >= topP)
            {
                // The boundary is among the ties: the fewest of them, lowest ids first, that reach topP.
                ids[g..e].Sort();
                double reached = above + greater;
                int c = g;
                while (c < e && (c == 0 || reached < topP)) reached += p[ids[c++]];
                return c;
            }
            above += greater + equal;
            lo = e;
        }
        return ids.Length; // the candidates' whole mass stays below topP (rounding): all of them
    }

    private static float Median3(float a, float b, float c) => Math.Max(Math.Min(a, b), Math.Min(Math.Max(a, b), c));

    private bool[]? _seenScratch;

    // The value that would sit at index k if a were sorted ascending (Hoare quickselect, in place).
    private static float Select(Span<float> a, int k)
    {
        int lo = 0, hi = a.Length - 1;
        while (lo < hi)
        {
            float pivot = a[(lo + hi) >>> 1];
            int i = lo, j = hi;
            while (i <= j)
            {
                while (a[i] < pivot) i++;
                while (a[j] > pivot) j--;
                if (i <= j) { (a[i], a[j]) = (a[j], a[i]); i++; j--; }
            }
            if (k <= j) hi = j;
            else if (k >= i) lo = i;
            else return a[k];
        }
        return a[k];
    }

    /// <summary>log softmax(logits)[id]: <c>logits[id] − max − log Σ exp(l − max)</c> (<see cref="LogNormaliser"/>).</summary>
    public static float LogSoftmaxAt(ReadOnlySpan<float> logits, int id)
    {
        double logSum = LogNormaliser(logits, out float max);
        return (float)(logits[id] - max - logSum);
    }

    /// <summary>
    /// log Σ exp(l − max) over <paramref name="logits"/>, and their max: entry i's log softmax is
    /// <c>logits[i] − max − result</c>. The exponentials are float32 (<see cref="FastExp"/>, within
    /// 2 ulp) summed through float64 block sums, in one pass that writes nothing: ~10x faster than
    /// float64 exp per entry on a 49152-entry vocabulary, which a sampled token pays for its logprob.
    /// </summary>
    public static double LogNormaliser(ReadOnlySpan<float> logits, out float max)
    {
        max = TensorPrimitives.Max(logits);
        return Math.Log(FastExp.SumExpShifted(logits, max));
    }
}
