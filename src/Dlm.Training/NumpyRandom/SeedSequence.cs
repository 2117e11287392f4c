using System.Numerics;

namespace Dlm.Training.NumpyRandom;

/// <summary>
/// NumPy's <c>SeedSequence</c> (numpy/random/bit_generator.pyx) for an integer entropy and no
/// spawn key: the entropy's 32-bit words are hashed into a pool of four words, and
/// <see cref="GenerateState64"/> draws the state words a bit generator is seeded with. All
/// arithmetic is on unsigned 32-bit words, wrapping, as NumPy's is.
/// </summary>
public sealed class SeedSequence
{
    private const uint InitA = 0x43b0d7e5, MultA = 0x931e8875, InitB = 0x8b51f9dd, MultB = 0x58f38ded;
    private const uint MixMultL = 0xca01f9dd, MixMultR = 0x4973f715;
    private const int XShift = 16, PoolSize = 4;
    private readonly uint[] _pool = new uint[PoolSize];

    /// <summary>Hashes a non-negative integer seed into the pool.</summary>
    public SeedSequence(BigInteger entropy)
    {
        if (entropy.Sign < 0) throw new ArgumentOutOfRangeException(nameof(entropy), "a seed must be non-negative");
        // The integer as little-endian 32-bit words; 0 is one word 0.
        var words = new List<uint>();
        if (entropy.IsZero) words.Add(0);
        for (var n = entropy; n > 0; n >>= 32) words.Add((uint)(n & uint.MaxValue));
        MixEntropy(words);
    }

    private void MixEntropy(List<uint> entropy)
    {
        uint hashConst = InitA;
        uint HashMix(uint value)
        {
            value ^= hashConst;
            hashConst *= MultA;
            value *= hashConst;
            value ^= value >> XShift;
            return value;
        }
        static uint Mix(uint x, uint y)
        {
            uint r = MixMultL * x - MixMultR * y;
            return r ^ (r >> XShift);
        }
        for (int i = 0; i < PoolSize; i++) _pool[i] = HashMix(i < entropy.Count ? entropy[i] : 0);
        for (int src = 0; src < PoolSize; src++)
            for (int dst = 0; dst < PoolSize; dst++)
                if (src != dst) _pool[dst] = Mix(_pool[dst], HashMix(_pool[src]));
        for (int src = PoolSize; src < entropy.Count; src++)
            for (int dst = 0; dst < PoolSize; dst++) _pool[dst] = Mix(_pool[dst], HashMix(entropy[src]));
    }

    /// <summary><c>generate_state(n, np.uint32)</c>.</summary>
    public uint[] GenerateState32(int words)
    {
        var state = new uint[words];
        uint hashConst = InitB;
        for (int i = 0; i < words; i++)
        {
            uint v = _pool[i % PoolSize];
            v ^= hashConst;
            hashConst *= MultB;
            v *= hashConst;
            v ^= v >> XShift;
            state[i] = v;
        }
        return state;
    }

    /// <summary><c>generate_state(n, np.uint64)</c>: twice the 32-bit words, paired little-endian.</summary>
    public ulong[] GenerateState64(int words)
    {
        var w = GenerateState32(2 * words);
        var result = new ulong[words];
        for (int i = 0; i < words; i++) result[i] = w[2 * i] | ((ulong)w[2 * i + 1] << 32);
        return result;
    }
}
