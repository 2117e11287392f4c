using System.Numerics.Tensors;

namespace Dlm.Models.Layers;

/// <summary>Inverted dropout with a mask drawn from the model's seeded generator (training only).</summary>
internal static class Dropout
{
    /// <summary>Fills mask with 0 (probability p) or 1/(1 − p).</summary>
    public static void DrawMask(Span<float> mask, float p, ref SplitMix64 rng)
    {
        float keep = 1f / (1f - p);
        for (int i = 0; i < mask.Length; i++) mask[i] = rng.NextFloat() < p ? 0f : keep;
    }

    /// <summary>
    /// x ⊙= the mask <see cref="DrawMask"/> would draw from the same state (drawn on the fly, so a
    /// backward pass can redraw a forward mask it did not keep).
    /// </summary>
    public static void ApplyDrawn(Span<float> x, float p, ref SplitMix64 rng)
    {
        float keep = 1f / (1f - p);
        for (int i = 0; i < x.Length; i++) x[i] *= rng.NextFloat() < p ? 0f : keep;
    }

    /// <summary>x ⊙= mask (forward), or dy ⊙ mask into dx (backward): the same operation.</summary>
    public static void Apply(Span<float> destination, ReadOnlySpan<float> source, ReadOnlySpan<float> mask)
        => TensorPrimitives.Multiply(source, mask, destination);
}

/// <summary>SplitMix64: a tiny seeded generator whose whole state is one ulong (easy to checkpoint).</summary>
internal struct SplitMix64(ulong state)
{
    /// <summary>The current state (save it to resume the exact stream).</summary>
    public ulong State = state;

    public ulong Next()
    {
        ulong z = State += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>
    /// Advances the stream by <paramref name="draws"/> values without computing them: the state is a
    /// counter, so a worker can start its slice of a mask exactly where a sequential draw would be.
    /// </summary>
    public void Skip(long draws) => State = unchecked(State + (ulong)draws * 0x9E3779B97F4A7C15UL);

    /// <summary>Uniform in [0, 1) with 24 random bits.</summary>
    public float NextFloat() => (Next() >> 40) * (1f / (1 << 24));

    /// <summary>Standard normal (Box–Muller).</summary>
    public double NextGaussian()
    {
        double u1 = ((Next() >> 11) + 1.0) / (1UL << 53);
        double u2 = (Next() >> 11) / (double)(1UL << 53);
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
    }
}
