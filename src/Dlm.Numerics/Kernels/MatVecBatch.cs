using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Dlm.Numerics.Kernels;

/// <summary>
/// The batched decode product for float32 weights: y[b, r] = Σ_i W[r, i]·x[b, i] for 2–8 inputs at once (more in
/// groups of eight), reading each block of W once for every input of the group (16-bit weights are kept in
/// panels and take <see cref="PanelMatVec"/>). Every output is the same bits as
/// <see cref="MatVec"/> gives it (alone or in any batch): the same lanes, the same FMA chains, the
/// same reduction tree.
/// </summary>
/// <remarks>
/// <para>
/// How that order is kept at speed. <see cref="MatVec"/>'s sum of one output is two independent
/// chains of FMAs over <c>L</c>-lane blocks of columns (L = <see cref="MatVecPaths.Lanes"/>): chain 0
/// takes blocks 0, 2, 4, … and chain 1 takes blocks 1, 3, 5, … (a last whole block falls to chain 0
/// by that rule), then chain 0 + chain 1, halved down to four lanes, (l0 + l2) + (l1 + l3), and the
/// columns past the last whole block fused in one by one. The chains do not depend on each other, so
/// this kernel runs them one after the other: a tile of three rows × up to eight inputs keeps 24
/// accumulators of 16 lanes in zmm registers for chain 1, stores them, does the same for chain 0, then
/// reduces each output in the same tree. Per block of 16 columns that is 3 weight loads
/// and 8 input loads for 24 FMAs, where two chains at once would need 48 accumulators.
/// </para>
/// <para>
/// The inputs of a group are first copied block-interleaved (block k of input 0, of input 1, …) into a
/// per-thread buffer, so the tile reads them as one stream at fixed offsets. The 512-bit path is this
/// kernel's own; on the 256-bit path it is <see cref="MatVec"/>'s own multi-input loop (same bits by
/// construction), and the scalar path is <see cref="Ordered"/>, the chain-by-chain scalar reference the
/// vector path is tested against beside <see cref="MatVec"/> itself.
/// </para>
/// </remarks>
public static class MatVecBatch
{
    /// <summary>Inputs one pass over W serves; larger batches take one pass per group of this many.</summary>
    public const int MaxInputs = 8;

    private const int TileRows = 3;

    // Rows ahead that the tile loop prefetches (two tiles), into L2 (so that they do not push the packed
    // inputs out of L1): without it the FMAs and the memory reads took turns, and 8 inputs against
    // weights out of memory ran at half their in-cache rate (one core, CPU time: f32 75 -> 45 ms, f16 64 -> 34 ms
    // for the SmolLM2-135M matrices, against MatVec's own multi-input loop).
    private const int PrefetchRows = 2 * TileRows;

    // Scratch for the block-interleaved inputs of one group: on the stack up to inputs 2048 wide (64 KB), so
    // that a pool thread's first batched chunk allocates nothing whenever it comes (which thread takes
    // which chunk is not fixed); wider inputs use a per-thread array grown to the widest matrix.
    private const int StackPackFloats = MaxInputs * 2048;


    [ThreadStatic]
    private static float[]? t_packed;

    /// <summary>Rows [rowStart, rowEnd) of y = W·x for float32 weights, the bits <see cref="MatVec.F32(ReadOnlySpan{float}, int, ReadOnlySpan{float}, int, int, Span{float}, int, int, int)"/> gives.</summary>
    /// <param name="w">W, rows × <paramref name="cols"/> (at least rowEnd rows).</param>
    /// <param name="cols">Columns of W, the input width.</param>
    /// <param name="x">Inputs: <paramref name="batch"/> rows of stride <paramref name="ldx"/>.</param>
    /// <param name="ldx">Row stride of x.</param>
    /// <param name="batch">Number of input vectors.</param>
    /// <param name="y">Outputs: batch rows of stride <paramref name="ldy"/>; column r gets row r of W.</param>
    /// <param name="ldy">Row stride of y.</param>
    /// <param name="rowStart">First row of W to use.</param>
    /// <param name="rowEnd">One past the last row.</param>
    public static void F32(ReadOnlySpan<float> w, int cols, ReadOnlySpan<float> x, int ldx, int batch, Span<float> y, int ldy, int rowStart, int rowEnd) =>
        F32(w, cols, x, ldx, batch, y, ldy, rowStart, rowEnd, MatVecPaths.Best);

    /// <summary><see cref="F32(ReadOnlySpan{float}, int, ReadOnlySpan{float}, int, int, Span{float}, int, int, int)"/> on a chosen path (tests and benchmarks).</summary>
    internal static void F32(ReadOnlySpan<float> w, int cols, ReadOnlySpan<float> x, int ldx, int batch, Span<float> y, int ldy, int rowStart, int rowEnd, MatVecPath path)
    {
        Check(w.Length, cols, x.Length, ldx, batch, y.Length, ldy, rowStart, rowEnd, path);
        if (batch == 0 || rowEnd == rowStart) return;
        switch (path)
        {
            case MatVecPath.Vector512 when batch > 1:
                Groups<F32Weights, float>(ref MemoryMarshal.GetReference(w), cols, ref MemoryMarshal.GetReference(x), ldx, batch, ref MemoryMarshal.GetReference(y), ldy, rowStart, rowEnd);
                break;
            case MatVecPath.Scalar:
                OrderedRows<F32Weights, float>(ref MemoryMarshal.GetReference(w), cols, ref MemoryMarshal.GetReference(x), ldx, batch, ref MemoryMarshal.GetReference(y), ldy, rowStart, rowEnd, MatVecPaths.Lanes(path));
                break;
            default:
                // One input (the single-sequence kernel is tuned for it) or the 256-bit path: MatVec's own loop.
                MatVec.F32(w, cols, x, ldx, batch, y, ldy, rowStart, rowEnd, path);
                break;
        }
    }

    /// <summary>
    /// The scalar reference: each output as the two chains over <paramref name="lanes"/>-lane blocks,
    /// one after the other, then the documented reduction and the leftover columns (16 lanes is the
    /// 512-bit path's order, 8 the 256-bit and scalar paths'). W is given widened to float.
    /// </summary>
    public static void Ordered(ReadOnlySpan<float> w, int cols, ReadOnlySpan<float> x, int ldx, int batch, Span<float> y, int ldy, int rowStart, int rowEnd, int lanes)
    {
        if (lanes is not (8 or 16)) throw new ArgumentException("lanes must be 8 or 16", nameof(lanes));
        Check(w.Length, cols, x.Length, ldx, batch, y.Length, ldy, rowStart, rowEnd, MatVecPath.Scalar);
        if (batch == 0 || rowEnd == rowStart) return;
        OrderedRows<F32Weights, float>(ref MemoryMarshal.GetReference(w), cols, ref MemoryMarshal.GetReference(x), ldx, batch, ref MemoryMarshal.GetReference(y), ldy, rowStart, rowEnd, lanes);
    }

    private static void Check(long wLength, int cols, int xLength, int ldx, int batch, int yLength, int ldy, int rowStart, int rowEnd, MatVecPath path)
    {
        if (cols < 0 || batch < 0 || rowStart < 0 || rowEnd < rowStart) throw new ArgumentException("negative size or empty row range");
        if (!MatVecPaths.IsSupported(path)) throw new PlatformNotSupportedException($"the {path} matrix-vector path needs hardware this machine lacks");
        if (batch == 0 || rowEnd == rowStart) return;
        if ((long)rowEnd * cols > wLength) throw new ArgumentException($"W holds {wLength} values, rows up to {rowEnd} of {cols} need more");
        if (ldx < cols || (long)(batch - 1) * ldx + cols > xLength) throw new ArgumentException("x is too short for the batch");
        if (ldy < rowEnd || (long)(batch - 1) * ldy + rowEnd > yLength) throw new ArgumentException("y is too short for the batch");
    }

    // Scalar: every output as chain 1, chain 0, their lane sums, the tree and the leftover columns.
    private static void OrderedRows<TW, T>(ref T w, int cols, ref float x, int ldx, int batch, ref float y, int ldy, int rowStart, int rowEnd, int lanes)
        where TW : struct, IWeights<T> where T : unmanaged
    {
        Span<float> c0 = stackalloc float[16], c1 = stackalloc float[16];
        int whole = cols / lanes * lanes;
        for (int b = 0; b < batch; b++)
        {
            ref float xb = ref Unsafe.Add(ref x, (nint)b * ldx);
            for (int r = rowStart; r < rowEnd; r++)
            {
                ref T wr = ref Unsafe.Add(ref w, (nint)r * cols);
                Chain(ref wr, ref xb, whole, lanes, lanes, c1);
                Chain(ref wr, ref xb, whole, lanes, 0, c0);
                for (int k = 0; k < lanes; k++) c0[k] += c1[k];
                for (int width = lanes; width > 4; width /= 2)
                    for (int k = 0; k < width / 2; k++) c0[k] += c0[k + width / 2];
                float s = (c0[0] + c0[2]) + (c0[1] + c0[3]);
                for (int i = whole; i < cols; i++) s = MathF.FusedMultiplyAdd(TW.Load1(Unsafe.Add(ref wr, i)), Unsafe.Add(ref xb, i), s);
                Unsafe.Add(ref y, (nint)b * ldy + r) = s;
            }
        }

        // One chain: blocks first, first + 2·lanes, … of the whole blocks, lane k summing column (block + k).
        static void Chain(ref T wr, ref float xb, int whole, int lanes, int first, Span<float> acc)
        {
            acc.Clear();
            for (int i = first; i < whole; i += 2 * lanes)
                for (int k = 0; k < lanes; k++)
                    acc[k] = MathF.FusedMultiplyAdd(TW.Load1(Unsafe.Add(ref wr, i + k)), Unsafe.Add(ref xb, i + k), acc[k]);
        }
    }

    private static float[] ThreadPacked(int need)
    {
        var packed = t_packed;
        if (packed is null || packed.Length < need) t_packed = packed = new float[need];
        return packed;
    }

    // 512-bit: groups of up to eight inputs, each packed and run against all the rows.
    [SkipLocalsInit]
    private static void Groups<TW, T>(ref T w, int cols, ref float x, int ldx, int batch, ref float y, int ldy, int rowStart, int rowEnd)
        where TW : struct, IWeights<T> where T : unmanaged
    {
        int blocks = cols / 16;
        int need = Math.Max(1, MaxInputs * blocks * 16);
        Span<float> packed = need <= StackPackFloats ? stackalloc float[StackPackFloats] : ThreadPacked(need);
        ref float xp = ref MemoryMarshal.GetReference(packed);
        var acc = default(Accumulators);
        ref var a = ref Unsafe.As<Accumulators, Vector512<float>>(ref acc);
        for (int b0 = 0; b0 < batch; b0 += MaxInputs)
        {
            int nb = Math.Min(MaxInputs, batch - b0);
            ref float xg = ref Unsafe.Add(ref x, (nint)b0 * ldx);
            ref float yg = ref Unsafe.Add(ref y, (nint)b0 * ldy);
            Pack(ref xg, ldx, nb, blocks, ref xp);
            GroupRows<TW, T>(nb, ref w, cols, blocks, ref xp, ref xg, ldx, ref yg, ldy, rowStart, rowEnd, ref a);
        }
    }

    // Block k of input b to xp[(k·nb + b)·16].
    private static void Pack(ref float xg, int ldx, int nb, int blocks, ref float xp)
    {
        for (int k = 0; k < blocks; k++)
            for (int b = 0; b < nb; b++)
                Vector512.LoadUnsafe(ref Unsafe.Add(ref xg, (nint)b * ldx + k * 16)).StoreUnsafe(ref Unsafe.Add(ref xp, (k * nb + b) * 16));
    }

    private static void GroupRows<TW, T>(int nb, ref T w, int cols, int blocks, ref float xp, ref float xg, int ldx, ref float yg, int ldy, int rowStart, int rowEnd,
        ref Vector512<float> a) where TW : struct, IWeights<T> where T : unmanaged
    {
        switch (nb)
        {
            case 1: Rows<TW, T, N1>(ref w, cols, blocks, ref xp, ref xg, ldx, ref yg, ldy, rowStart, rowEnd, ref a); break;
            case 2: Rows<TW, T, N2>(ref w, cols, blocks, ref xp, ref xg, ldx, ref yg, ldy, rowStart, rowEnd, ref a); break;
            case 3: Rows<TW, T, N3>(ref w, cols, blocks, ref xp, ref xg, ldx, ref yg, ldy, rowStart, rowEnd, ref a); break;
            case 4: Rows<TW, T, N4>(ref w, cols, blocks, ref xp, ref xg, ldx, ref yg, ldy, rowStart, rowEnd, ref a); break;
            case 5: Rows<TW, T, N5>(ref w, cols, blocks, ref xp, ref xg, ldx, ref yg, ldy, rowStart, rowEnd, ref a); break;
            case 6: Rows<TW, T, N6>(ref w, cols, blocks, ref xp, ref xg, ldx, ref yg, ldy, rowStart, rowEnd, ref a); break;
            case 7: Rows<TW, T, N7>(ref w, cols, blocks, ref xp, ref xg, ldx, ref yg, ldy, rowStart, rowEnd, ref a); break;
            default: Rows<TW, T, N8>(ref w, cols, blocks, ref xp, ref xg, ldx, ref yg, ldy, rowStart, rowEnd, ref a); break;
        }
    }

    // Rows in memory order, three at a time (then the one or two left).
    private static void Rows<TW, T, TB>(ref T w, int cols, int blocks, ref float xp, ref float x, int ldx, ref float y, int ldy, int rowStart, int rowEnd, ref Vector512<float> acc) where TW : struct, IWeights<T> where T : unmanaged where TB : struct, ICount
    {
        int r = rowStart;
        for (; r <= rowEnd - TileRows; r += TileRows)
            Tile<TW, T, N3, TB>(ref Unsafe.Add(ref w, (nint)r * cols), cols, blocks, ref xp, ref x, ldx, ref Unsafe.Add(ref y, r), ldy, ref acc);
        if (rowEnd - r == 2) Tile<TW, T, N2, TB>(ref Unsafe.Add(ref w, (nint)r * cols), cols, blocks, ref xp, ref x, ldx, ref Unsafe.Add(ref y, r), ldy, ref acc);
        else if (rowEnd - r == 1) Tile<TW, T, N1, TB>(ref Unsafe.Add(ref w, (nint)r * cols), cols, blocks, ref xp, ref x, ldx, ref Unsafe.Add(ref y, r), ldy, ref acc);
    }

    // TR rows (at w, w + cols, …) against TB packed inputs: chain 1, chain 0, then each output's tree and leftover columns.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Tile<TW, T, TR, TB>(ref T w, int cols, int blocks, ref float xp, ref float x, int ldx, ref float y, int ldy, ref Vector512<float> acc) where TW : struct, IWeights<T> where T : unmanaged where TR : struct, ICount where TB : struct, ICount
    {
        ref var chain1 = ref Unsafe.Add(ref acc, TileRows * MaxInputs);
        Chain<TW, T, TR, TB>(ref w, cols, blocks, ref xp, 1, ref chain1);
        Chain<TW, T, TR, TB>(ref w, cols, blocks, ref xp, 0, ref acc);
        int whole = blocks * 16;
        for (int r = 0; r < TR.Count; r++)
        {
            ref T wr = ref Unsafe.Add(ref w, (nint)r * cols);
            var sums = ReduceInputs<TB>(ref Unsafe.Add(ref acc, r * MaxInputs), ref Unsafe.Add(ref chain1, r * MaxInputs));
            ref float s0 = ref Unsafe.As<Vector256<float>, float>(ref sums);
            for (int b = 0; b < TB.Count; b++)
            {
                float s = Unsafe.Add(ref s0, b);
                if (whole < cols)
                {
                    ref float xb = ref Unsafe.Add(ref x, (nint)b * ldx);
                    for (int i = whole; i < cols; i++) s = MathF.FusedMultiplyAdd(TW.Load1(Unsafe.Add(ref wr, i)), Unsafe.Add(ref xb, i), s);
                }
                Unsafe.Add(ref y, (nint)b * ldy + r) = s;
            }
        }
    }

    // Lane b of the result: input b's chain 0 + chain 1 through MatVec's tree (halves added down to
    // four lanes, then (l0 + l2) + (l1 + l3)), eight inputs at once across the vector instead of one
    // at a time: the same additions of the same pairs, so the same bits, in about a third of the
    // instructions (for 576 columns the one-at-a-time tree cost a third of a tile's FMAs).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> ReduceInputs<TB>(ref Vector512<float> c0, ref Vector512<float> c1) where TB : struct, ICount
    {
        var v0 = c0 + c1;
        var v1 = TB.Count > 1 ? Unsafe.Add(ref c0, 1) + Unsafe.Add(ref c1, 1) : default;
        var v2 = TB.Count > 2 ? Unsafe.Add(ref c0, 2) + Unsafe.Add(ref c1, 2) : default;
        var v3 = TB.Count > 3 ? Unsafe.Add(ref c0, 3) + Unsafe.Add(ref c1, 3) : default;
        var q0 = Quarters(Halves(v0, v1), Halves(v2, v3));
        var s0 = Fours(q0);
        if (TB.Count <= 4) return Avx512F.PermuteVar16x32(s0, Vector512.Create(0, 4, 8, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)).GetLower();
        var v4 = Unsafe.Add(ref c0, 4) + Unsafe.Add(ref c1, 4);
        var v5 = TB.Count > 5 ? Unsafe.Add(ref c0, 5) + Unsafe.Add(ref c1, 5) : default;
        var v6 = TB.Count > 6 ? Unsafe.Add(ref c0, 6) + Unsafe.Add(ref c1, 6) : default;
        var v7 = TB.Count > 7 ? Unsafe.Add(ref c0, 7) + Unsafe.Add(ref c1, 7) : default;
        var s1 = Fours(Quarters(Halves(v4, v5), Halves(v6, v7)));
        return Avx512F.PermuteVar16x32x2(s0, Vector512.Create(0, 4, 8, 12, 16, 20, 24, 28, 0, 0, 0, 0, 0, 0, 0, 0), s1).GetLower();

        // [a.lower + a.upper (8 lanes), b.lower + b.upper (8 lanes)].
        static Vector512<float> Halves(Vector512<float> a, Vector512<float> b) =>
            Avx512F.Shuffle4x128(a, b, 0b01_00_01_00) + Avx512F.Shuffle4x128(a, b, 0b11_10_11_10);

        // From two Halves results (inputs a, b and c, d): each input's 8 lanes halved to 4, one input per 128-bit lane.
        static Vector512<float> Quarters(Vector512<float> ab, Vector512<float> cd) =>
            Avx512F.Shuffle4x128(ab, cd, 0b10_00_10_00) + Avx512F.Shuffle4x128(ab, cd, 0b11_01_11_01);

        // In each 128-bit lane (l0 l1 l2 l3): lane 0 gets (l0 + l2) + (l1 + l3).
        static Vector512<float> Fours(Vector512<float> q)
        {
            var a = q + Avx512F.Permute4x32(q, 0b01_00_11_10);
            return a + Avx512F.Permute4x32(a, 0b00_00_00_01);
        }
    }

    // One chain (blocks first, first + 2, … of 16 columns) of TR rows × TB inputs, accumulators in registers,
    // stored to acc[r · MaxInputs + b].
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void Chain<TW, T, TR, TB>(ref T w, int cols, int blocks, ref float xp, int first, ref Vector512<float> acc)
        where TW : struct, IWeights<T> where T : unmanaged where TR : struct, ICount where TB : struct, ICount
    {
            Vector512<float> a00 = default, a01 = default, a02 = default, a03 = default, a04 = default, a05 = default, a06 = default, a07 = default, a10 = default, a11 = default, a12 = default, a13 = default, a14 = default, a15 = default, a16 = default, a17 = default, a20 = default, a21 = default, a22 = default, a23 = default, a24 = default, a25 = default, a26 = default, a27 = default;
            int stride = TB.Count * 16;
            nint rowBytes = (nint)cols * Unsafe.SizeOf<T>();
            for (int k = first; k < blocks; k += 2)
            {
                int i = k * 16;
                ref float xk = ref Unsafe.Add(ref xp, k * stride);
                var w0 = TW.Load16(ref Unsafe.Add(ref w, i));
                var w1 = TR.Count > 1 ? TW.Load16(ref Unsafe.Add(ref w, cols + i)) : default;
                var w2 = TR.Count > 2 ? TW.Load16(ref Unsafe.Add(ref w, 2 * cols + i)) : default;
                if (Sse.IsSupported)
                {
                    // The next tile's rows at the same columns: this tile's FMAs hide their memory latency.
                    byte* p = (byte*)Unsafe.AsPointer(ref Unsafe.Add(ref w, PrefetchRows * cols + i));
                    Sse.Prefetch1(p);
                    Sse.Prefetch1(p + rowBytes);
                    Sse.Prefetch1(p + 2 * rowBytes);
                }
                var x0 = Vector512.LoadUnsafe(ref xk);
                a00 = Vector512.FusedMultiplyAdd(w0, x0, a00);
                if (TR.Count > 1) a10 = Vector512.FusedMultiplyAdd(w1, x0, a10);
                if (TR.Count > 2) a20 = Vector512.FusedMultiplyAdd(w2, x0, a20);
                if (TB.Count > 1)
                {
                    var x1 = Vector512.LoadUnsafe(ref xk, (nuint)16);
                    a01 = Vector512.FusedMultiplyAdd(w0, x1, a01);
                    if (TR.Count > 1) a11 = Vector512.FusedMultiplyAdd(w1, x1, a11);
                    if (TR.Count > 2) a21 = Vector512.FusedMultiplyAdd(w2, x1, a21);
                }
                if (TB.Count > 2)
                {
                    var x2 = Vector512.LoadUnsafe(ref xk, (nuint)32);
                    a02 = Vector512.FusedMultiplyAdd(w0, x2, a02);
                    if (TR.Count > 1) a12 = Vector512.FusedMultiplyAdd(w1, x2, a12);
                    if (TR.Count > 2) a22 = Vector512.FusedMultiplyAdd(w2, x2, a22);
                }
                if (TB.Count > 3)
                {
                    var x3 = Vector512.LoadUnsafe(ref xk, (nuint)48);
                    a03 = Vector512.FusedMultiplyAdd(w0, x3, a03);
                    if (TR.Count > 1) a13 = Vector512.FusedMultiplyAdd(w1, x3, a13);
                    if (TR.Count > 2) a23 = Vector512.FusedMultiplyAdd(w2, x3, a23);
                }
                if (TB.Count > 4)
                {
                    var x4 = Vector512.LoadUnsafe(ref xk, (nuint)64);
                    a04 = Vector512.FusedMultiplyAdd(w0, x4, a04);
                    if (TR.Count > 1) a14 = Vector512.FusedMultiplyAdd(w1, x4, a14);
                    if (TR.Count > 2) a24 = Vector512.FusedMultiplyAdd(w2, x4, a24);
                }
                if (TB.Count > 5)
                {
                    var x5 = Vector512.LoadUnsafe(ref xk, (nuint)80);
                    a05 = Vector512.FusedMultiplyAdd(w0, x5, a05);
                    if (TR.Count > 1) a15 = Vector512.FusedMultiplyAdd(w1, x5, a15);
                    if (TR.Count > 2) a25 = Vector512.FusedMultiplyAdd(w2, x5, a25);
                }
                if (TB.Count > 6)
                {
                    var x6 = Vector512.LoadUnsafe(ref xk, (nuint)96);
                    a06 = Vector512.FusedMultiplyAdd(w0, x6, a06);
                    if (TR.Count > 1) a16 = Vector512.FusedMultiplyAdd(w1, x6, a16);
                    if (TR.Count > 2) a26 = Vector512.FusedMultiplyAdd(w2, x6, a26);
                }
                if (TB.Count > 7)
                {
                    var x7 = Vector512.LoadUnsafe(ref xk, (nuint)112);
                    a07 = Vector512.FusedMultiplyAdd(w0, x7, a07);
                    if (TR.Count > 1) a17 = Vector512.FusedMultiplyAdd(w1, x7, a17);
                    if (TR.Count > 2) a27 = Vector512.FusedMultiplyAdd(w2, x7, a27);
                }
            }
            Unsafe.Add(ref acc, 0) = a00;
            if (TB.Count > 1) Unsafe.Add(ref acc, 1) = a01;
            if (TB.Count > 2) Unsafe.Add(ref acc, 2) = a02;
            if (TB.Count > 3) Unsafe.Add(ref acc, 3) = a03;
            if (TB.Count > 4) Unsafe.Add(ref acc, 4) = a04;
            if (TB.Count > 5) Unsafe.Add(ref acc, 5) = a05;
            if (TB.Count > 6) Unsafe.Add(ref acc, 6) = a06;
            if (TB.Count > 7) Unsafe.Add(ref acc, 7) = a07;
            if (TR.Count > 1) Unsafe.Add(ref acc, 8) = a10;
            if (TR.Count > 1 && TB.Count > 1) Unsafe.Add(ref acc, 9) = a11;
            if (TR.Count > 1 && TB.Count > 2) Unsafe.Add(ref acc, 10) = a12;
            if (TR.Count > 1 && TB.Count > 3) Unsafe.Add(ref acc, 11) = a13;
            if (TR.Count > 1 && TB.Count > 4) Unsafe.Add(ref acc, 12) = a14;
            if (TR.Count > 1 && TB.Count > 5) Unsafe.Add(ref acc, 13) = a15;
            if (TR.Count > 1 && TB.Count > 6) Unsafe.Add(ref acc, 14) = a16;
            if (TR.Count > 1 && TB.Count > 7) Unsafe.Add(ref acc, 15) = a17;
            if (TR.Count > 2) Unsafe.Add(ref acc, 16) = a20;
            if (TR.Count > 2 && TB.Count > 1) Unsafe.Add(ref acc, 17) = a21;
            if (TR.Count > 2 && TB.Count > 2) Unsafe.Add(ref acc, 18) = a22;
            if (TR.Count > 2 && TB.Count > 3) Unsafe.Add(ref acc, 19) = a23;
            if (TR.Count > 2 && TB.Count > 4) Unsafe.Add(ref acc, 20) = a24;
            if (TR.Count > 2 && TB.Count > 5) Unsafe.Add(ref acc, 21) = a25;
            if (TR.Count > 2 && TB.Count > 6) Unsafe.Add(ref acc, 22) = a26;
            if (TR.Count > 2 && TB.Count > 7) Unsafe.Add(ref acc, 23) = a27;
    }

    // Chain 0 and chain 1 of a tile of TileRows × MaxInputs outputs.
    [InlineArray(2 * TileRows * MaxInputs)]
    private struct Accumulators
    {
        private Vector512<float> _element;
    }

    // The weights of one block of 16 columns as floats.
    private interface IWeights<T> where T : unmanaged
    {
        static abstract Vector512<float> Load16(ref T p);
        static abstract float Load1(T value);
    }

    private readonly struct F32Weights : IWeights<float>
    {
        public static Vector512<float> Load16(ref float p) => Vector512.LoadUnsafe(ref p);
        public static float Load1(float value) => value;
    }
}
