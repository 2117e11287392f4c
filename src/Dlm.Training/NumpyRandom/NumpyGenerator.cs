using System.Numerics;

namespace Dlm.Training.NumpyRandom;

/// <summary>
/// The parts of <c>numpy.random.default_rng(seed)</c> (a <c>Generator</c> over <see cref="Pcg64"/>)
/// that dataset shuffling needs: <see cref="Permutation"/> and <see cref="Shuffle{T}"/>, with NumPy's
/// algorithm (Fisher-Yates from the end, each index drawn by masked rejection,
/// <c>random_interval</c>), so a shuffle matches Hugging Face datasets' <c>shuffle(seed)</c>.
/// </summary>
public sealed class NumpyGenerator
{
    private readonly Pcg64 _bits;

    /// <summary><c>numpy.random.default_rng(seed)</c>.</summary>
    public NumpyGenerator(BigInteger seed) => _bits = new Pcg64(seed);

    /// <summary><c>Generator.permutation(n)</c>: a shuffled <c>arange(n)</c>.</summary>
    public int[] Permutation(int n)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        var a = new int[n];
        for (int i = 0; i < n; i++) a[i] = i;
        Shuffle<int>(a);
        return a;
    }

    /// <summary><c>Generator.shuffle(x)</c> for a one-dimensional array, in place.</summary>
    public void Shuffle<T>(Span<T> x)
    {
        for (int i = x.Length - 1; i >= 1; i--)
        {
            int j = (int)Interval((ulong)i);
            (x[i], x[j]) = (x[j], x[i]);
        }
    }

    /// <summary>NumPy's <c>random_interval(max)</c>: uniform on [0, max] by rejection under the smallest covering bit mask.</summary>
    public ulong Interval(ulong max)
    {
        if (max == 0) return 0;
        ulong mask = max;
        mask |= mask >> 1;
        mask |= mask >> 2;
        mask |= mask >> 4;
        mask |= mask >> 8;
        mask |= mask >> 16;
        mask |= mask >> 32;
        ulong value;
        if (max <= uint.MaxValue)
            while ((value = _bits.NextUInt32() & mask) > max) { }
        else
            while ((value = _bits.NextUInt64() & mask) > max) { }
        return value;
    }
}
