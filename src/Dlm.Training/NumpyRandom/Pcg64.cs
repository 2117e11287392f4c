using System.Numerics;

namespace Dlm.Training.NumpyRandom;

/// <summary>
/// NumPy's <c>PCG64</c> bit generator (PCG XSL-RR 128/64: a 128-bit LCG with the default PCG
/// multiplier, output the xor of its halves rotated by the top six bits), seeded as
/// <c>PCG64(seed)</c> is: through <see cref="SeedSequence"/>. <see cref="NextUInt32"/> halves a
/// 64-bit draw and keeps the upper half for the next call, as NumPy's <c>next_uint32</c> does.
/// </summary>
public sealed class Pcg64
{
    private static readonly UInt128 Multiplier = new(0x2360ED051FC65DA4UL, 0x4385DF649FCCF645UL);
    private UInt128 _state, _inc;
    private bool _hasUInt32;
    private uint _uinteger;

    /// <summary><c>numpy.random.PCG64(seed)</c>.</summary>
    public Pcg64(BigInteger seed)
    {
        var s = new SeedSequence(seed).GenerateState64(4);
        // pcg64_set_seed: state = (s0 << 64) | s1, sequence = (s2 << 64) | s3, then pcg_setseq_128_srandom_r.
        var initState = new UInt128(s[0], s[1]);
        var initSeq = new UInt128(s[2], s[3]);
        _state = 0;
        _inc = (initSeq << 1) | 1;
        Step();
        _state += initState;
        Step();
    }

    private void Step() => _state = _state * Multiplier + _inc;

    /// <summary>The next 64-bit output (<c>random_raw</c>).</summary>
    public ulong NextUInt64()
    {
        Step();
        ulong hi = (ulong)(_state >> 64), lo = (ulong)_state;
        int rot = (int)(_state >> 122);
        return BitOperations.RotateRight(hi ^ lo, rot);
    }

    /// <summary>The next 32-bit output: the low half of a fresh 64-bit draw, then its high half.</summary>
    public uint NextUInt32()
    {
        if (_hasUInt32)
        {
            _hasUInt32 = false;
            return _uinteger;
        }
        ulong next = NextUInt64();
        _hasUInt32 = true;
        _uinteger = (uint)(next >> 32);
        return (uint)next;
    }
}
