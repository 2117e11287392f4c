using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Dlm.Models.Layers;

/// <summary>
/// Inverted dropout with a mask drawn from the model's seeded generator (training only).
/// Value i of a mask is 0 when draw i of the stream, as <see cref="SplitMix64.NextFloat"/> gives it,
/// is below p, else 1/(1 − p). SplitMix64's state is a counter, so draw i is a pure function of the
/// start state and i: with AVX-512 sixteen draws are computed at once, bit for bit the sequential ones.
/// </summary>
internal static class Dropout
{
    private const ulong Gamma = 0x9E3779B97F4A7C15UL;

    /// <summary>Fills mask with 0 (probability p) or 1/(1 − p).</summary>
    public static void DrawMask(Span<float> mask, float p, ref SplitMix64 rng)
    {
        float keep = 1f / (1f - p);
        int i = 0;
        if (Vector512.IsHardwareAccelerated && mask.Length >= 16)
        {
            var d = new Drawer(rng.State, p, keep);
            ref float m = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(mask);
            for (; i + 16 <= mask.Length; i += 16) d.Next().StoreUnsafe(ref m, (nuint)i);
            rng.Skip(i);
        }
        for (; i < mask.Length; i++) mask[i] = rng.NextFloat() < p ? 0f : keep;
    }

    /// <summary>
    /// x ⊙= the mask <see cref="DrawMask"/> would draw from the same state (drawn on the fly, so a
    /// backward pass can redraw a forward mask it did not keep).
    /// </summary>
    public static void ApplyDrawn(Span<float> x, float p, ref SplitMix64 rng) => ApplyDrawn(x, x, p, ref rng);

    /// <summary>destination = source ⊙ the mask <see cref="DrawMask"/> would draw from the same state.</summary>
    public static void ApplyDrawn(Span<float> destination, ReadOnlySpan<float> source, float p, ref SplitMix64 rng)
    {
        float keep = 1f / (1f - p);
        int i = 0, n = source.Length;
        if (destination.Length < n) throw new ArgumentException("destination is shorter than source", nameof(destination));
        if (Vector512.IsHardwareAccelerated && n >= 16)
        {
            var d = new Drawer(rng.State, p, keep);
            ref float src = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(source);
            ref float dst = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(destination);
            for (; i + 16 <= n; i += 16)
                (Vector512.LoadUnsafe(ref src, (nuint)i) * d.Next()).StoreUnsafe(ref dst, (nuint)i);
            rng.Skip(i);
        }
        for (; i < n; i++) destination[i] = source[i] * (rng.NextFloat() < p ? 0f : keep);
    }

    /// <summary>destination += source ⊙ the mask <see cref="DrawMask"/> would draw from the same state (a backward pass through a mask it did not keep).</summary>
    public static void MultiplyAddDrawn(Span<float> destination, ReadOnlySpan<float> source, float p, ref SplitMix64 rng)
    {
        float keep = 1f / (1f - p);
        int i = 0, n = source.Length;
        if (destination.Length < n) throw new ArgumentException("destination is shorter than source", nameof(destination));
        if (Vector512.IsHardwareAccelerated && n >= 16)
        {
            var d = new Drawer(rng.State, p, keep);
            ref float src = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(source);
            ref float dst = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(destination);
            for (; i + 16 <= n; i += 16)
                (Vector512.LoadUnsafe(ref src, (nuint)i) * d.Next() + Vector512.LoadUnsafe(ref dst, (nuint)i)).StoreUnsafe(ref dst, (nuint)i);
            rng.Skip(i);
        }
        for (; i < n; i++) destination[i] += source[i] * (rng.NextFloat() < p ? 0f : keep);
    }

    /// <summary>x ⊙= mask (forward), or dy ⊙ mask into dx (backward): the same operation.</summary>
    public static void Apply(Span<float> destination, ReadOnlySpan<float> source, ReadOnlySpan<float> mask)
        => TensorPrimitives.Multiply(source, mask, destination);

    // Sixteen consecutive mask values per call. NextFloat() < p is (z >> 40)·2⁻²⁴ < p, with both sides
    // exact in float, so it is the integer test (z >> 40) < ⌈p·2²⁴⌉.
    private struct Drawer
    {
        private Vector512<ulong> _lo, _hi;
        private readonly Vector512<uint> _threshold;
        private readonly Vector512<float> _keep;

        public Drawer(ulong state, float p, float keep)
        {
            var lane = Vector512.Create(1UL, 2, 3, 4, 5, 6, 7, 8) * Gamma;
            _lo = Vector512.Create(state) + lane;
            _hi = _lo + Vector512.Create(unchecked(8 * Gamma));
            _threshold = Vector512.Create((uint)Math.Ceiling((double)p * (1 << 24)));
            _keep = Vector512.Create(keep);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector512<float> Next()
        {
            var step = Vector512.Create(unchecked(16 * Gamma));
            var lo = Mix(_lo) >>> 40;
            var hi = Mix(_hi) >>> 40;
            _lo += step;
            _hi += step;
            var drop = Vector512.LessThan(Vector512.Narrow(lo, hi), _threshold);
            return Vector512.AndNot(_keep, drop.AsSingle());
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static Vector512<ulong> Mix(Vector512<ulong> z)
        {
            z = (z ^ (z >>> 30)) * Vector512.Create(0xBF58476D1CE4E5B9UL);
            z = (z ^ (z >>> 27)) * Vector512.Create(0x94D049BB133111EBUL);
            return z ^ (z >>> 31);
        }
    }
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
