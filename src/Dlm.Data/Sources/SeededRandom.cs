namespace Dlm.Data.Sources;

/// <summary>
/// SplitMix64: the small, fast, fully specified generator behind every seeded choice of the data
/// pipeline (shuffle buffers, split permutations, batch sampling), so a seed gives the same caches
/// and batches on every machine and .NET version.
/// </summary>
public sealed class SeededRandom(long seed)
{
    private ulong _state = unchecked((ulong)seed);

    /// <summary>The generator's whole state: save it and set it back to continue the same sequence (exact resume).</summary>
    public ulong State
    {
        get => _state;
        set => _state = value;
    }

    /// <summary>The next 64 random bits.</summary>
    public ulong NextUInt64()
    {
        ulong z = _state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>A uniform integer in [0, <paramref name="n"/>) (Lemire's unbiased multiply-shift).</summary>
    public long NextLong(long n)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(n);
        ulong un = (ulong)n;
        while (true)
        {
            UInt128 m = (UInt128)NextUInt64() * un;
            ulong low = (ulong)m;
            if (low >= un || low >= (0 - un) % un) return (long)(ulong)(m >> 64);
        }
    }

    /// <summary>A uniform double in [0, 1).</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>A seeded Fisher-Yates permutation of 0..n-1.</summary>
    public static int[] Permutation(int n, long seed)
    {
        var rng = new SeededRandom(seed);
        var p = new int[n];
        for (int i = 0; i < n; i++) p[i] = i;
        for (int i = n - 1; i > 0; i--)
        {
            int j = (int)rng.NextLong(i + 1);
            (p[i], p[j]) = (p[j], p[i]);
        }
        return p;
    }
}
