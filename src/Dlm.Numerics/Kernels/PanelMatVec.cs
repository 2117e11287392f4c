using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Dlm.Numerics.Gemm;

namespace Dlm.Numerics.Kernels;

/// <summary>
/// Decode products y[b, r] = Σ_k W[r, k]·x[b, k] over float32 or 16-bit weights kept in panels
/// (<see cref="PanelMatrix"/>), for one input or several at once, 16-bit weights widened in registers.
/// Each output is one FMA chain over the columns in order, k = 0, 1, …, from zero: one lane of a
/// vector that runs down a panel's 16 rows. So every output has the same bits on every path (512-bit,
/// 256-bit, scalar), alone or in a batch of any size, on any number of threads, and
/// <see cref="Ordered"/> (the plain scalar loop) is the reference all of them equal exactly.
/// </summary>
/// <remarks>
/// <para>
/// The batched kernel is a GEMM micro-kernel: a tile of three panels (48 rows) × eight inputs keeps
/// 24 accumulators in zmm registers; per column it loads and widens three blocks of 16 weights and
/// broadcasts each input's value once, 24 FMAs for 3 weight loads. There is no horizontal sum: the
/// earlier row-major kernels reduced every output across lanes and read three rows as three strided
/// streams; against weights out of memory on two threads this one runs at 1.1–1.7x their rate for
/// 16-bit weights and 1.4–1.5x for float32 (SmolLM2-135M shapes, 8 inputs, alternating rounds).
/// </para>
/// <para>
/// Float16 takes the scaled widening where it may (sign-extend, shift and mask, with 2^112 moved onto the
/// inputs: the masked bits are the weight times 2^-112 exactly, subnormals included, so
/// FMA(w·2^-112, x·2^112, acc) rounds as FMA(w, x, acc) does, bit for bit): when the matrix
/// holds no infinity or NaN (<see cref="PanelMatrix.HasSpecials"/>, found once when it is packed) and every
/// input of the product stays finite times 2^112. Otherwise the exact widening runs, with the same bits.
/// </para>
/// </remarks>
public static unsafe class PanelMatVec
{
    /// <summary>Rows per panel.</summary>
    public const int PanelRows = 16;

    /// <summary>Inputs one pass over W serves; larger batches take one pass per group of this many.</summary>
    public const int MaxInputs = 8;

    // How far ahead of the column in flight the tiles prefetch each panel. Several inputs: 1 KB (32 columns of 16-bit
    // weights, 16 of float32), into L1, while the FMAs run. One input (a stream at the memory's rate, little arithmetic
    // to hide behind): 4 KB, into L2. Measured in paired rounds on SmolLM2-135M shapes: the L1 distance cost a single
    // input about 15 %; for float32, the same bytes ahead and the same columns ahead read alike.
    private const int PrefetchBytes = 1024, SinglePrefetchBytes = 4096;

    // The 256-bit half tiles (five to eight 16-bit inputs) prefetch 16 KB ahead into L2. On SmolLM2-135M shapes, 8 inputs,
    // 2 threads: 1-4 KB ahead into L1 read 10-15 % above no prefetch in a step-sized run; 16 KB into L2 was 9 % above 2 KB
    // into L1 over four alternating rounds of the decode benchmark; running the halves a block of columns at a time
    // (resuming the sums, as Tile256 does) lost 3-15 % in all of four.
    private const int HalfPrefetchBytes = 16384;

    // The 256-bit panel tiles, when more than four inputs take two passes, run a block of this many columns at a time
    // (8 KB of float32 per panel: the second pass reads it from L1), the first pass prefetching 32 KB ahead into L2.
    // 8, 16 and 32 KB ahead read alike, and blocks of 64-256 columns within noise of each other (SmolLM2-135M matrices).
    private const int PassColumns256 = 128, PassPrefetchBytes = 32768;

    // The packed inputs ([k][b] per group, scaled or not) live on the stack up to this many floats (64 KiB).
    private const int StackFloats = 16384;

    [ThreadStatic]
    private static float[]? t_packed;

    /// <summary>2^112 as a float: float32's exponent bias (127) less float16's (15).</summary>
    private static readonly float F16Scale = BitConverter.Int32BitsToSingle(0x77800000);

    /// <summary>Largest input magnitude the scaled widening takes: x·2^112 stays finite below 2^16.</summary>
    private const float MaxScaledInput = 65536f;

    /// <summary>Panels per tile of the 512-bit path for several inputs (the whole tiles a batched chunk is made of).</summary>
    public const int BatchTilePanels = 3;

    /// <summary>Where element (<paramref name="row"/>, <paramref name="col"/>) of a <paramref name="rows"/> × <paramref name="cols"/> panel matrix lies.</summary>
    public static long IndexOf(int rows, int cols, int row, int col)
    {
        int p0 = row / PanelRows * PanelRows, width = Math.Min(PanelRows, rows - p0);
        return (long)p0 * cols + (long)col * width + (row - p0);
    }

    /// <summary>
    /// Writes the row-major matrix <paramref name="rowMajor"/> (rows × cols) into <paramref name="panels"/> in panel order.
    /// The two may be the same memory (packing in place): a panel takes exactly the values its 16 rows took, so each
    /// panel goes through a copy of its own rows only.
    /// </summary>
    public static void Pack<T>(ReadOnlySpan<T> rowMajor, int rows, int cols, Span<T> panels) where T : unmanaged
    {
        long n = (long)rows * cols;
        if (rows < 0 || cols < 0 || rowMajor.Length < n || panels.Length < n) throw new ArgumentException("the spans hold fewer than rows × cols values");
        bool inPlace = rowMajor.Overlaps(panels, out int offset);
        if (inPlace && offset != 0) throw new ArgumentException("packing in place needs the same span for both", nameof(panels));
        T[]? copy = inPlace ? new T[Math.Min(rows, PanelRows) * cols] : null;
        for (int p0 = 0; p0 < rows; p0 += PanelRows)
        {
            int width = Math.Min(PanelRows, rows - p0);
            var src = rowMajor.Slice(p0 * cols, width * cols);
            if (copy is not null)
            {
                src.CopyTo(copy);
                src = copy.AsSpan(0, width * cols);
            }
            var dst = panels.Slice(p0 * cols, width * cols);
            for (int j = 0; j < width; j++)
                for (int k = 0; k < cols; k++) dst[k * width + j] = src[j * cols + k];
        }
    }

    /// <summary>Whether some float16 value in <paramref name="values"/> is infinity or NaN (exponent 31).</summary>
    public static bool HasF16Specials(ReadOnlySpan<ushort> values)
    {
        const ushort exponent = 0x7C00;
        ref ushort v = ref MemoryMarshal.GetReference(values);
        int i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            var e = Vector256.Create(exponent);
            var seen = Vector256<ushort>.Zero;
            for (; i <= values.Length - 16; i += 16)
            {
                var x = Vector256.LoadUnsafe(ref v, (nuint)i) & e;
                seen |= Vector256.Equals(x, e);
            }
            if (seen != Vector256<ushort>.Zero) return true;
        }
        for (; i < values.Length; i++)
            if ((Unsafe.Add(ref v, i) & exponent) == exponent) return true;
        return false;
    }

    /// <summary>Row <paramref name="row"/> of <paramref name="m"/>, widened into <paramref name="destination"/> (Cols values).</summary>
    public static void ReadRow(in PanelMatrix m, int row, Span<float> destination)
    {
        if ((uint)row >= (uint)m.Rows) throw new ArgumentOutOfRangeException(nameof(row));
        if (destination.Length < m.Cols) throw new ArgumentException("destination is shorter than a row", nameof(destination));
        int p0 = row / PanelRows * PanelRows, width = Math.Min(PanelRows, m.Rows - p0);
        long at = (long)p0 * m.Cols + (row - p0);
        for (int k = 0; k < m.Cols; k++) destination[k] = Element(m, at + (long)k * width);
    }

    // The value at index i of the panels, widened.
    private static float Element(in PanelMatrix m, long i) => m.Format switch
    {
        WeightFormat.F32 => ((float*)m.Data)[i],
        WeightFormat.Bf16 => HalfBits.Bf16ToSingle(((ushort*)m.Data)[i]),
        _ => HalfBits.F16ToSingle(((ushort*)m.Data)[i]),
    };

    /// <summary>
    /// Rows [<paramref name="rowStart"/>, rowStart + <paramref name="count"/>) widened and transposed:
    /// <c>destination[k·count + j] = W[rowStart + j, k]</c>, the Wᵀ block a prefill GEMM multiplies by
    /// (a copy of each panel's columns, no transpose in the arithmetic). rowStart is a multiple of
    /// <see cref="PanelRows"/>; count is too, or reaches the last row.
    /// </summary>
    public static void ReadTransposed(in PanelMatrix m, int rowStart, int count, Span<float> destination) =>
        ReadTransposed(m, rowStart, count, destination, count);

    /// <summary>
    /// <see cref="ReadTransposed(in PanelMatrix, int, int, Span{float})"/> into rows of stride <paramref name="ld"/>:
    /// <c>destination[k·ld + j] = W[rowStart + j, k]</c>, so that several calls can fill the column blocks of one Wᵀ.
    /// </summary>
    public static void ReadTransposed(in PanelMatrix m, int rowStart, int count, Span<float> destination, int ld)
    {
        CheckRange(m, rowStart, rowStart + count);
        int cols = m.Cols;
        if (ld < count) throw new ArgumentException("the stride is narrower than count", nameof(ld));
        if (cols > 0 && destination.Length < (long)(cols - 1) * ld + count) throw new ArgumentException("destination is shorter than cols rows of stride ld", nameof(destination));
        fixed (float* d = destination)
            switch (m.Format)
            {
                case WeightFormat.F32: Transposed<F32, float>(m, rowStart, count, d, ld); break;
                case WeightFormat.Bf16: Transposed<Bf16, ushort>(m, rowStart, count, d, ld); break;
                default: Transposed<F16Exact, ushort>(m, rowStart, count, d, ld); break;
            }
    }

    // Each panel's columns as they lie, widened by TW: column k of the panel to row k of the block.
    private static void Transposed<TW, T>(in PanelMatrix m, int rowStart, int count, float* d, int ld) where TW : struct, IWeights<T> where T : unmanaged
    {
        int cols = m.Cols;
        for (int p0 = rowStart; p0 < rowStart + count; p0 += PanelRows)
        {
            int width = Math.Min(PanelRows, m.Rows - p0);
            T* src = (T*)m.Data + (long)p0 * cols;
            float* dst = d + (p0 - rowStart);
            if (width == PanelRows && Avx512F.IsSupported)
                for (int k = 0; k < cols; k++) TW.Load16(src + k * PanelRows).Store(dst + (long)k * ld);
            else if (width == PanelRows && Vector256.IsHardwareAccelerated)
                for (int k = 0; k < cols; k++)
                {
                    TW.Load8(src + k * PanelRows).Store(dst + (long)k * ld);
                    TW.Load8(src + k * PanelRows + 8).Store(dst + (long)k * ld + 8);
                }
            else
            {
                long at = (long)p0 * cols;
                for (int k = 0; k < cols; k++)
                    for (int j = 0; j < width; j++) dst[(long)k * ld + j] = Element(m, at + (long)k * width + j);
            }
        }
    }

    /// <summary>
    /// Rows [<paramref name="rowStart"/>, <paramref name="rowEnd"/>) of y = W·x for <paramref name="batch"/> inputs.
    /// rowStart is a multiple of <see cref="PanelRows"/>; rowEnd is too, or is the last row.
    /// </summary>
    /// <param name="m">W.</param>
    /// <param name="x">Inputs: <paramref name="batch"/> rows of stride <paramref name="ldx"/>.</param>
    /// <param name="ldx">Row stride of x.</param>
    /// <param name="batch">Number of inputs.</param>
    /// <param name="y">Outputs: batch rows of stride <paramref name="ldy"/>; column r gets row r of W.</param>
    /// <param name="ldy">Row stride of y.</param>
    /// <param name="rowStart">First row of W to use.</param>
    /// <param name="rowEnd">One past the last row.</param>
    public static void Run(in PanelMatrix m, ReadOnlySpan<float> x, int ldx, int batch, Span<float> y, int ldy, int rowStart, int rowEnd) =>
        Run(m, x, ldx, batch, y, ldy, rowStart, rowEnd, MatVecPaths.Best);

    /// <summary><see cref="Run(in PanelMatrix, ReadOnlySpan{float}, int, int, Span{float}, int, int, int)"/> on a chosen path (tests and benchmarks).</summary>
    [SkipLocalsInit]
    internal static void Run(in PanelMatrix m, ReadOnlySpan<float> x, int ldx, int batch, Span<float> y, int ldy, int rowStart, int rowEnd, MatVecPath path)
    {
        if (!MatVecPaths.IsSupported(path)) throw new PlatformNotSupportedException($"the {path} matrix-vector path needs hardware this machine lacks");
        CheckRange(m, rowStart, rowEnd);
        int cols = m.Cols;
        ArgumentOutOfRangeException.ThrowIfNegative(batch);
        if (batch == 0 || rowEnd == rowStart) return;
        if (ldx < cols || (long)(batch - 1) * ldx + cols > x.Length) throw new ArgumentException("x is too short for the batch");
        if (ldy < rowEnd || (long)(batch - 1) * ldy + rowEnd > y.Length) throw new ArgumentException("y is too short for the batch");
        int need = Math.Max(1, batch * cols);
        float[]? heap = need <= StackFloats ? null : ThreadPacked(need);
        float* stack = stackalloc float[need <= StackFloats ? need : 1];
        fixed (float* h = heap, xp = x, yp = y)
        {
            float* packed = heap is null ? stack : h;
            bool scaled = PackInputs(m, xp, ldx, batch, packed, path);
            RunPacked(m, packed, scaled, xp, ldx, batch, yp, ldy, rowStart, rowEnd, path);
        }
    }

    /// <summary>
    /// Writes the inputs as the tiles read them into <paramref name="packed"/> (batch × Cols floats): groups of
    /// <see cref="MaxInputs"/>, each column-major ([k][b], one stream of broadcasts), times 2^112 when the scaled
    /// float16 widening applies, which it returns. Done once per product, however many threads share its rows.
    /// </summary>
    internal static bool PackInputs(in PanelMatrix m, float* x, int ldx, int batch, float* packed, MatVecPath path)
    {
        if (path == MatVecPath.Scalar) return false;
        int cols = m.Cols;
        bool scaled = m.Format == WeightFormat.F16 && !m.HasSpecials && cols > 0 && (path == MatVecPath.Vector512 || Avx2.IsSupported) && Scalable(x, ldx, batch, cols);
        float scale = scaled ? F16Scale : 1f;
        for (int b0 = 0; b0 < batch; b0 += MaxInputs)
        {
            int nb = Math.Min(MaxInputs, batch - b0);
            float* g = packed + (long)b0 * cols;
            if (nb == 1)
            {
                TensorPrimitives.Multiply(new ReadOnlySpan<float>(x + (long)b0 * ldx, cols), scale, new Span<float>(g, cols));
                continue;
            }
            // Column-major by 4×4 transposes, four inputs at a time (the batched step packs every product's inputs on one
            // thread while the others wait: element by element, a microbenchmark of the SmolLM2-135M step's products spent
            // 2.9 ms of 25-33 packing), then any last one to three inputs alone, then the scale.
            float* xg = x + (long)b0 * ldx;
            int b = 0;
            for (; b + 4 <= nb; b += 4) GemmPacking.Transpose4(xg + (long)b * ldx, ldx, cols, g + b, nb);
            for (; b < nb; b++)
                for (int k = 0; k < cols; k++) g[k * nb + b] = xg[(long)b * ldx + k];
            if (scaled) TensorPrimitives.Multiply(new ReadOnlySpan<float>(g, nb * cols), scale, new Span<float>(g, nb * cols));
        }
        return scaled;
    }

    /// <summary>
    /// Rows [rowStart, rowEnd) of y = W·x from inputs <see cref="PackInputs"/> wrote (x itself serves a last partial
    /// panel, which the scalar loop takes with the same bits). The range is checked by the caller.
    /// </summary>
    internal static void RunPacked(in PanelMatrix m, float* packed, bool scaled, float* x, int ldx, int batch, float* y, int ldy, int rowStart, int rowEnd, MatVecPath path)
    {
        int cols = m.Cols;
        int wholeEnd = path == MatVecPath.Scalar ? rowStart : rowStart + (rowEnd - rowStart) / PanelRows * PanelRows;
        int p0 = rowStart / PanelRows, p1 = wholeEnd / PanelRows;
        if (p1 > p0)
            for (int b0 = 0; b0 < batch; b0 += MaxInputs)
            {
                int nb = Math.Min(MaxInputs, batch - b0);
                float* xt = packed + (long)b0 * cols, yg = y + (long)b0 * ldy;
                if (path == MatVecPath.Vector512)
                {
                    if (m.Format == WeightFormat.F32) Tiles512<F32, float>(m, xt, nb, yg, ldy, p0, p1);
                    else if (scaled) Tiles512<F16Scaled, ushort>(m, xt, nb, yg, ldy, p0, p1);
                    else if (m.Format == WeightFormat.F16) Tiles512<F16Exact, ushort>(m, xt, nb, yg, ldy, p0, p1);
                    else Tiles512<Bf16, ushort>(m, xt, nb, yg, ldy, p0, p1);
                }
                else if (m.Format == WeightFormat.F32) Tiles256<F32, float>(m, xt, nb, yg, ldy, p0, p1);
                else if (scaled) Tiles256<F16Scaled, ushort>(m, xt, nb, yg, ldy, p0, p1);
                else if (m.Format == WeightFormat.F16) Tiles256<F16Exact, ushort>(m, xt, nb, yg, ldy, p0, p1);
                else Tiles256<Bf16, ushort>(m, xt, nb, yg, ldy, p0, p1);
            }
        if (wholeEnd < rowEnd) OrderedRows(m, x, ldx, batch, y, ldy, wholeEnd, rowEnd);
    }

    /// <summary>
    /// The scalar reference: y[b, r] = Σ_k W[r, k]·x[b, k] as one fused multiply-add chain over k in order from
    /// zero, W given row-major and widened to float. Every path of <see cref="Run(in PanelMatrix, ReadOnlySpan{float}, int, int, Span{float}, int, int, int)"/> equals it bit for bit.
    /// </summary>
    public static void Ordered(ReadOnlySpan<float> w, int cols, ReadOnlySpan<float> x, int ldx, int batch, Span<float> y, int ldy, int rowStart, int rowEnd)
    {
        if (cols < 0 || batch < 0 || rowStart < 0 || rowEnd < rowStart) throw new ArgumentException("negative size or empty row range");
        if ((long)rowEnd * cols > w.Length) throw new ArgumentException("W holds fewer than rowEnd rows");
        if (batch == 0 || rowEnd == rowStart) return;
        if (ldx < cols || (long)(batch - 1) * ldx + cols > x.Length) throw new ArgumentException("x is too short for the batch");
        if (ldy < rowEnd || (long)(batch - 1) * ldy + rowEnd > y.Length) throw new ArgumentException("y is too short for the batch");
        for (int b = 0; b < batch; b++)
            for (int r = rowStart; r < rowEnd; r++)
            {
                float s = 0;
                for (int k = 0; k < cols; k++) s = MathF.FusedMultiplyAdd(w[r * cols + k], x[b * ldx + k], s);
                y[b * ldy + r] = s;
            }
    }

    private static void CheckRange(in PanelMatrix m, int rowStart, int rowEnd)
    {
        if (m.Rows < 0 || m.Cols < 0) throw new ArgumentException("negative matrix size");
        if (rowStart < 0 || rowEnd < rowStart || rowEnd > m.Rows) throw new ArgumentException($"rows [{rowStart}, {rowEnd}) are outside the matrix's {m.Rows}");
        if (rowStart % PanelRows != 0) throw new ArgumentException($"row range must start on a panel (a multiple of {PanelRows}), not at {rowStart}");
        if (rowEnd % PanelRows != 0 && rowEnd != m.Rows) throw new ArgumentException($"row range must end on a panel or at the last row, not at {rowEnd}");
    }

    // The scalar loop on the panels themselves: exact widening, unscaled inputs, one chain per output.
    private static void OrderedRows(in PanelMatrix m, float* x, int ldx, int batch, float* y, int ldy, int rowStart, int rowEnd)
    {
        int cols = m.Cols;
        for (int r = rowStart; r < rowEnd; r++)
        {
            int p0 = r / PanelRows * PanelRows, width = Math.Min(PanelRows, m.Rows - p0);
            long at = (long)p0 * cols + (r - p0);
            for (int b = 0; b < batch; b++)
            {
                float* xb = x + (long)b * ldx;
                float s = 0;
                for (int k = 0; k < cols; k++) s = MathF.FusedMultiplyAdd(Element(m, at + (long)k * width), xb[k], s);
                y[(long)b * ldy + r] = s;
            }
        }
    }

    private static float[] ThreadPacked(int need)
    {
        var packed = t_packed;
        if (packed is null || packed.Length < need) t_packed = packed = GC.AllocateArray<float>(need, pinned: true);
        return packed;
    }

    // Whether every input stays finite times 2^112: every magnitude below 2^16 (NaN fails). MaxMagnitude returns
    // the signed value (−65536 for an input holding it), hence the Abs.
    private static bool Scalable(float* x, int ldx, int count, int cols)
    {
        for (int b = 0; b < count; b++)
            if (!(MathF.Abs(TensorPrimitives.MaxMagnitude(new ReadOnlySpan<float>(x + (long)b * ldx, cols))) < MaxScaledInput)) return false;
        return true;
    }

    // 512-bit: tiles of three panels against the group (for a single input, one float32 panel or four 16-bit).
    private static void Tiles512<TW, T>(in PanelMatrix m, float* xt, int nb, float* y, int ldy, int p0, int p1) where TW : struct, IWeights<T> where T : unmanaged
    {
        switch (nb)
        {
            // One input: float32 one panel at a time (a single stream; each column is a whole cache line, which one FMA
            // chain per lane keeps up with), 16-bit four (half a line per column: one chain per lane waits on the FMA).
            case 1 when sizeof(T) == 4: Panels512<TW, T, N1, N1>(m, xt, y, ldy, p0, p1); break;
            case 1: Panels512<TW, T, N4, N1>(m, xt, y, ldy, p0, p1); break;
            case 2: Panels512<TW, T, N3, N2>(m, xt, y, ldy, p0, p1); break;
            case 3: Panels512<TW, T, N3, N3>(m, xt, y, ldy, p0, p1); break;
            case 4: Panels512<TW, T, N3, N4>(m, xt, y, ldy, p0, p1); break;
            case 5: Panels512<TW, T, N3, N5>(m, xt, y, ldy, p0, p1); break;
            case 6: Panels512<TW, T, N3, N6>(m, xt, y, ldy, p0, p1); break;
            case 7: Panels512<TW, T, N3, N7>(m, xt, y, ldy, p0, p1); break;
            default: Panels512<TW, T, N3, N8>(m, xt, y, ldy, p0, p1); break;
        }
    }

    private static void Panels512<TW, T, TP, TB>(in PanelMatrix m, float* xt, float* y, int ldy, int p0, int p1)
        where TW : struct, IWeights<T> where T : unmanaged where TP : struct, ICount where TB : struct, ICount
    {
        int cols = m.Cols;
        T* w = (T*)m.Data;
        for (int p = p0; p < p1;)
        {
            // Whole tiles, and the panels left split into two narrower tiles rather than one tile and a panel alone:
            // a single panel is one FMA chain per lane for a single input, which waits on the FMA latency.
            int left = p1 - p, t = left >= 2 * TP.Count || left == TP.Count ? TP.Count : left > TP.Count ? (left + 1) / 2 : left;
            T* wp = w + (long)p * PanelRows * cols;
            float* yp = y + p * PanelRows;
            switch (t)
            {
                case 4: Tile512<TW, T, N4, TB>(wp, cols, xt, yp, ldy); break;
                case 3: Tile512<TW, T, N3, TB>(wp, cols, xt, yp, ldy); break;
                case 2: Tile512<TW, T, N2, TB>(wp, cols, xt, yp, ldy); break;
                default: Tile512<TW, T, N1, TB>(wp, cols, xt, yp, ldy); break;
            }
            p += t;
        }
    }

    // TP whole panels at w (16·cols apart) × TB packed inputs: per column, TP widened blocks and TB broadcasts, TP·TB FMAs.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Tile512<TW, T, TP, TB>(T* w, int cols, float* x, float* y, int ldy)
        where TW : struct, IWeights<T> where T : unmanaged where TP : struct, ICount where TB : struct, ICount
    {
        Vector512<float> a00 = default, a01 = default, a02 = default, a03 = default, a10 = default, a11 = default, a12 = default, a13 = default, a20 = default, a21 = default, a22 = default, a23 = default, a30 = default, a31 = default, a32 = default, a33 = default, a40 = default, a41 = default, a42 = default, a43 = default, a50 = default, a51 = default, a52 = default, a53 = default, a60 = default, a61 = default, a62 = default, a63 = default, a70 = default, a71 = default, a72 = default, a73 = default;
        T* w0 = w, w1 = w + 16 * cols, w2 = w + 32 * cols, w3 = w + 48 * cols;
        for (int k = 0; k < cols; k++, x += TB.Count)
        {
            int o = k * PanelRows;
            // A column of a panel is 64 bytes of float32 or 32 of 16-bit weights: every column, or every other, starts a
            // new cache line of each panel.
            if ((sizeof(T) == 4 || (k & 1) == 0) && Sse.IsSupported)
            {
                if (TB.Count == 1)
                {
                    int ahead = SinglePrefetchBytes / sizeof(T);
                    Sse.Prefetch1(w0 + o + ahead);
                    if (TP.Count > 1) Sse.Prefetch1(w1 + o + ahead);
                    if (TP.Count > 2) Sse.Prefetch1(w2 + o + ahead);
                    if (TP.Count > 3) Sse.Prefetch1(w3 + o + ahead);
                }
                else
                {
                    int ahead = PrefetchBytes / sizeof(T);
                    Sse.Prefetch0(w0 + o + ahead);
                    if (TP.Count > 1) Sse.Prefetch0(w1 + o + ahead);
                    if (TP.Count > 2) Sse.Prefetch0(w2 + o + ahead);
                    if (TP.Count > 3) Sse.Prefetch0(w3 + o + ahead);
                }
            }
            var v0 = TW.Load16(w0 + o);
            var v1 = TP.Count > 1 ? TW.Load16(w1 + o) : default;
            var v2 = TP.Count > 2 ? TW.Load16(w2 + o) : default;
            var v3 = TP.Count > 3 ? TW.Load16(w3 + o) : default;
            var x0 = Vector512.Create(x[0]);
            a00 = Vector512.FusedMultiplyAdd(v0, x0, a00);
            if (TP.Count > 1) a01 = Vector512.FusedMultiplyAdd(v1, x0, a01);
            if (TP.Count > 2) a02 = Vector512.FusedMultiplyAdd(v2, x0, a02);
            if (TP.Count > 3) a03 = Vector512.FusedMultiplyAdd(v3, x0, a03);
            if (TB.Count > 1)
            {
                var x1 = Vector512.Create(x[1]);
                a10 = Vector512.FusedMultiplyAdd(v0, x1, a10);
                if (TP.Count > 1) a11 = Vector512.FusedMultiplyAdd(v1, x1, a11);
                if (TP.Count > 2) a12 = Vector512.FusedMultiplyAdd(v2, x1, a12);
                if (TP.Count > 3) a13 = Vector512.FusedMultiplyAdd(v3, x1, a13);
            }
            if (TB.Count > 2)
            {
                var x2 = Vector512.Create(x[2]);
                a20 = Vector512.FusedMultiplyAdd(v0, x2, a20);
                if (TP.Count > 1) a21 = Vector512.FusedMultiplyAdd(v1, x2, a21);
                if (TP.Count > 2) a22 = Vector512.FusedMultiplyAdd(v2, x2, a22);
                if (TP.Count > 3) a23 = Vector512.FusedMultiplyAdd(v3, x2, a23);
            }
            if (TB.Count > 3)
            {
                var x3 = Vector512.Create(x[3]);
                a30 = Vector512.FusedMultiplyAdd(v0, x3, a30);
                if (TP.Count > 1) a31 = Vector512.FusedMultiplyAdd(v1, x3, a31);
                if (TP.Count > 2) a32 = Vector512.FusedMultiplyAdd(v2, x3, a32);
                if (TP.Count > 3) a33 = Vector512.FusedMultiplyAdd(v3, x3, a33);
            }
            if (TB.Count > 4)
            {
                var x4 = Vector512.Create(x[4]);
                a40 = Vector512.FusedMultiplyAdd(v0, x4, a40);
                if (TP.Count > 1) a41 = Vector512.FusedMultiplyAdd(v1, x4, a41);
                if (TP.Count > 2) a42 = Vector512.FusedMultiplyAdd(v2, x4, a42);
                if (TP.Count > 3) a43 = Vector512.FusedMultiplyAdd(v3, x4, a43);
            }
            if (TB.Count > 5)
            {
                var x5 = Vector512.Create(x[5]);
                a50 = Vector512.FusedMultiplyAdd(v0, x5, a50);
                if (TP.Count > 1) a51 = Vector512.FusedMultiplyAdd(v1, x5, a51);
                if (TP.Count > 2) a52 = Vector512.FusedMultiplyAdd(v2, x5, a52);
                if (TP.Count > 3) a53 = Vector512.FusedMultiplyAdd(v3, x5, a53);
            }
            if (TB.Count > 6)
            {
                var x6 = Vector512.Create(x[6]);
                a60 = Vector512.FusedMultiplyAdd(v0, x6, a60);
                if (TP.Count > 1) a61 = Vector512.FusedMultiplyAdd(v1, x6, a61);
                if (TP.Count > 2) a62 = Vector512.FusedMultiplyAdd(v2, x6, a62);
                if (TP.Count > 3) a63 = Vector512.FusedMultiplyAdd(v3, x6, a63);
            }
            if (TB.Count > 7)
            {
                var x7 = Vector512.Create(x[7]);
                a70 = Vector512.FusedMultiplyAdd(v0, x7, a70);
                if (TP.Count > 1) a71 = Vector512.FusedMultiplyAdd(v1, x7, a71);
                if (TP.Count > 2) a72 = Vector512.FusedMultiplyAdd(v2, x7, a72);
                if (TP.Count > 3) a73 = Vector512.FusedMultiplyAdd(v3, x7, a73);
            }
        }
        a00.Store(y + 0);
        if (TP.Count > 1) a01.Store(y + 16);
        if (TP.Count > 2) a02.Store(y + 32);
        if (TP.Count > 3) a03.Store(y + 48);
        if (TB.Count > 1) a10.Store(y + 1 * ldy + 0);
        if (TB.Count > 1 && TP.Count > 1) a11.Store(y + 1 * ldy + 16);
        if (TB.Count > 1 && TP.Count > 2) a12.Store(y + 1 * ldy + 32);
        if (TB.Count > 1 && TP.Count > 3) a13.Store(y + 1 * ldy + 48);
        if (TB.Count > 2) a20.Store(y + 2 * ldy + 0);
        if (TB.Count > 2 && TP.Count > 1) a21.Store(y + 2 * ldy + 16);
        if (TB.Count > 2 && TP.Count > 2) a22.Store(y + 2 * ldy + 32);
        if (TB.Count > 2 && TP.Count > 3) a23.Store(y + 2 * ldy + 48);
        if (TB.Count > 3) a30.Store(y + 3 * ldy + 0);
        if (TB.Count > 3 && TP.Count > 1) a31.Store(y + 3 * ldy + 16);
        if (TB.Count > 3 && TP.Count > 2) a32.Store(y + 3 * ldy + 32);
        if (TB.Count > 3 && TP.Count > 3) a33.Store(y + 3 * ldy + 48);
        if (TB.Count > 4) a40.Store(y + 4 * ldy + 0);
        if (TB.Count > 4 && TP.Count > 1) a41.Store(y + 4 * ldy + 16);
        if (TB.Count > 4 && TP.Count > 2) a42.Store(y + 4 * ldy + 32);
        if (TB.Count > 4 && TP.Count > 3) a43.Store(y + 4 * ldy + 48);
        if (TB.Count > 5) a50.Store(y + 5 * ldy + 0);
        if (TB.Count > 5 && TP.Count > 1) a51.Store(y + 5 * ldy + 16);
        if (TB.Count > 5 && TP.Count > 2) a52.Store(y + 5 * ldy + 32);
        if (TB.Count > 5 && TP.Count > 3) a53.Store(y + 5 * ldy + 48);
        if (TB.Count > 6) a60.Store(y + 6 * ldy + 0);
        if (TB.Count > 6 && TP.Count > 1) a61.Store(y + 6 * ldy + 16);
        if (TB.Count > 6 && TP.Count > 2) a62.Store(y + 6 * ldy + 32);
        if (TB.Count > 6 && TP.Count > 3) a63.Store(y + 6 * ldy + 48);
        if (TB.Count > 7) a70.Store(y + 7 * ldy + 0);
        if (TB.Count > 7 && TP.Count > 1) a71.Store(y + 7 * ldy + 16);
        if (TB.Count > 7 && TP.Count > 2) a72.Store(y + 7 * ldy + 32);
        if (TB.Count > 7 && TP.Count > 3) a73.Store(y + 7 * ldy + 48);
    }

    // 256-bit: each panel as two halves of 8 rows. Float32, or up to four inputs: both halves against four inputs of
    // the group at a time. Five to eight 16-bit inputs: one half against all of them, so each weight is widened once
    // (two passes of four widen every weight twice; on the SmolLM2-135M matrices, 8 inputs, 2 threads, the half tiles
    // ran 12-16 % faster; for float32, which has nothing to widen, they did not).
    private static void Tiles256<TW, T>(in PanelMatrix m, float* xt, int nb, float* y, int ldy, int p0, int p1) where TW : struct, IWeights<T> where T : unmanaged
    {
        int cols = m.Cols;
        for (int p = p0; p < p1; p++)
        {
            T* w = (T*)m.Data + (long)p * PanelRows * cols;
            float* yp = y + p * PanelRows;
            if (sizeof(T) == 2 && nb > 4)
            {
                switch (nb)
                {
                    case 5: Halves256<TW, T, N5>(w, cols, xt, yp, ldy); break;
                    case 6: Halves256<TW, T, N6>(w, cols, xt, yp, ldy); break;
                    case 7: Halves256<TW, T, N7>(w, cols, xt, yp, ldy); break;
                    default: Halves256<TW, T, N8>(w, cols, xt, yp, ldy); break;
                }
                continue;
            }
            // Several passes (more than four inputs): a block of columns at a time, so the later passes find the block in L1;
            // the first pass of each block fetches the weights ahead into L2.
            int block = nb > 4 ? PassColumns256 : cols;
            for (int k0 = 0; k0 < cols; k0 += block)
            {
                int k1 = Math.Min(cols, k0 + block);
                for (int b = 0; b < nb; b += 4)
                {
                    float* xb = xt + (long)k0 * nb + b, yb = yp + (long)b * ldy;
                    bool first = nb > 4 && b == 0, resume = k0 > 0;
                    switch (Math.Min(4, nb - b))
                    {
                        case 1: Tile256<TW, T, N1>(w, k0, k1, xb, nb, yb, ldy, resume, first); break;
                        case 2: Tile256<TW, T, N2>(w, k0, k1, xb, nb, yb, ldy, resume, first); break;
                        case 3: Tile256<TW, T, N3>(w, k0, k1, xb, nb, yb, ldy, resume, first); break;
                        default: Tile256<TW, T, N4>(w, k0, k1, xb, nb, yb, ldy, resume, first); break;
                    }
                }
            }
        }
    }

    // One panel (two 8-lane halves) × TB inputs over columns [k0, k1), the inputs at x + (k - k0)·stride + b: from zero, or
    // (resume) on from the sums y holds, which a float store and load keep exactly, so the chain is the one over all columns.
    // With prefetch, each column's line PassPrefetchBytes ahead is fetched into L2 (weights out of memory, read by several
    // passes: in a step-sized microbenchmark the hardware's own prefetching kept two threads near 23 GB/s; this, near 29).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Tile256<TW, T, TB>(T* w, int k0, int k1, float* x, int stride, float* y, int ldy, bool resume, bool prefetch)
        where TW : struct, IWeights<T> where T : unmanaged where TB : struct, ICount
    {
        Vector256<float> l0 = default, h0 = default, l1 = default, h1 = default, l2 = default, h2 = default, l3 = default, h3 = default;
        if (resume)
        {
            l0 = Vector256.Load(y);
            h0 = Vector256.Load(y + 8);
            if (TB.Count > 1) { l1 = Vector256.Load(y + ldy); h1 = Vector256.Load(y + ldy + 8); }
            if (TB.Count > 2) { l2 = Vector256.Load(y + 2 * ldy); h2 = Vector256.Load(y + 2 * ldy + 8); }
            if (TB.Count > 3) { l3 = Vector256.Load(y + 3 * ldy); h3 = Vector256.Load(y + 3 * ldy + 8); }
        }
        int ahead = PassPrefetchBytes / sizeof(T), perLine = 64 / (PanelRows * sizeof(T));
        for (int k = k0; k < k1; k++, x += stride)
        {
            if (prefetch && k % perLine == 0 && Sse.IsSupported) Sse.Prefetch1(w + k * PanelRows + ahead);
            var lo = TW.Load8(w + k * PanelRows);
            var hi = TW.Load8(w + k * PanelRows + 8);
            var x0 = Vector256.Create(x[0]);
            l0 = Vector256.FusedMultiplyAdd(lo, x0, l0);
            h0 = Vector256.FusedMultiplyAdd(hi, x0, h0);
            if (TB.Count > 1)
            {
                var x1 = Vector256.Create(x[1]);
                l1 = Vector256.FusedMultiplyAdd(lo, x1, l1);
                h1 = Vector256.FusedMultiplyAdd(hi, x1, h1);
            }
            if (TB.Count > 2)
            {
                var x2 = Vector256.Create(x[2]);
                l2 = Vector256.FusedMultiplyAdd(lo, x2, l2);
                h2 = Vector256.FusedMultiplyAdd(hi, x2, h2);
            }
            if (TB.Count > 3)
            {
                var x3 = Vector256.Create(x[3]);
                l3 = Vector256.FusedMultiplyAdd(lo, x3, l3);
                h3 = Vector256.FusedMultiplyAdd(hi, x3, h3);
            }
        }
        l0.Store(y);
        h0.Store(y + 8);
        if (TB.Count > 1) { l1.Store(y + ldy); h1.Store(y + ldy + 8); }
        if (TB.Count > 2) { l2.Store(y + 2 * ldy); h2.Store(y + 2 * ldy + 8); }
        if (TB.Count > 3) { l3.Store(y + 3 * ldy); h3.Store(y + 3 * ldy + 8); }
    }

    // Both halves of one panel, each against all TB inputs of the group (packed [k][TB]).
    private static void Halves256<TW, T, TB>(T* w, int cols, float* x, float* y, int ldy) where TW : struct, IWeights<T> where T : unmanaged where TB : struct, ICount
    {
        Half256<TW, T, TB>(w, cols, x, y, ldy, prefetch: true);
        Half256<TW, T, TB>(w + 8, cols, x, y + 8, ldy, prefetch: false);
    }

    // Eight rows (half a panel, 16 weights apart per column) × TB inputs: per column one widened block, TB broadcasts and
    // TB FMAs. The first half prefetches the panel's lines (each holds both halves) into L2.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Half256<TW, T, TB>(T* w, int cols, float* x, float* y, int ldy, bool prefetch) where TW : struct, IWeights<T> where T : unmanaged where TB : struct, ICount
    {
        Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default, a4 = default, a5 = default, a6 = default, a7 = default;
        int ahead = HalfPrefetchBytes / sizeof(T), perLine = 64 / (PanelRows * sizeof(T));
        for (int k = 0; k < cols; k++, x += TB.Count)
        {
            if (prefetch && k % perLine == 0 && Sse.IsSupported) Sse.Prefetch1(w + k * PanelRows + ahead);
            var v = TW.Load8(w + k * PanelRows);
            a0 = Vector256.FusedMultiplyAdd(v, Vector256.Create(x[0]), a0);
            if (TB.Count > 1) a1 = Vector256.FusedMultiplyAdd(v, Vector256.Create(x[1]), a1);
            if (TB.Count > 2) a2 = Vector256.FusedMultiplyAdd(v, Vector256.Create(x[2]), a2);
            if (TB.Count > 3) a3 = Vector256.FusedMultiplyAdd(v, Vector256.Create(x[3]), a3);
            if (TB.Count > 4) a4 = Vector256.FusedMultiplyAdd(v, Vector256.Create(x[4]), a4);
            if (TB.Count > 5) a5 = Vector256.FusedMultiplyAdd(v, Vector256.Create(x[5]), a5);
            if (TB.Count > 6) a6 = Vector256.FusedMultiplyAdd(v, Vector256.Create(x[6]), a6);
            if (TB.Count > 7) a7 = Vector256.FusedMultiplyAdd(v, Vector256.Create(x[7]), a7);
        }
        a0.Store(y);
        if (TB.Count > 1) a1.Store(y + ldy);
        if (TB.Count > 2) a2.Store(y + 2 * ldy);
        if (TB.Count > 3) a3.Store(y + 3 * ldy);
        if (TB.Count > 4) a4.Store(y + 4 * ldy);
        if (TB.Count > 5) a5.Store(y + 5 * ldy);
        if (TB.Count > 6) a6.Store(y + 6 * ldy);
        if (TB.Count > 7) a7.Store(y + 7 * ldy);
    }

    // A block of 16 (or 8) weights of element type T as floats.
    private interface IWeights<T> where T : unmanaged
    {
        static abstract Vector512<float> Load16(T* p);
        static abstract Vector256<float> Load8(T* p);
    }

    private readonly struct F32 : IWeights<float>
    {
        public static Vector512<float> Load16(float* p) => Vector512.Load(p);
        public static Vector256<float> Load8(float* p) => Vector256.Load(p);
    }

    private readonly struct Bf16 : IWeights<ushort>
    {
        public static Vector512<float> Load16(ushort* p) => HalfBits.WidenBf16x16(ref *p);
        public static Vector256<float> Load8(ushort* p) => HalfBits.WidenBf16(ref *p);
    }

    private readonly struct F16Exact : IWeights<ushort>
    {
        public static Vector512<float> Load16(ushort* p) => HalfBits.WidenF16x16(ref *p);
        public static Vector256<float> Load8(ushort* p) => HalfBits.WidenF16(ref *p);
    }

    // Float16 times 2^-112 (the inputs carry 2^112): sign-extended and shifted left 13, which puts sign, exponent and
    // mantissa in float32 places with copies of the sign in bits 30..28, masked off. Exact for every finite weight.
    private readonly struct F16Scaled : IWeights<ushort>
    {
        private const int Mask = unchecked((int)0x8FFFE000);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<float> Load16(ushort* p) =>
            Avx512F.And(Avx512F.ShiftLeftLogical(Avx512F.ConvertToVector512Int32(Vector256.Load((short*)p)), 13), Vector512.Create(Mask)).AsSingle();

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<float> Load8(ushort* p) =>
            Avx2.And(Avx2.ShiftLeftLogical(Avx2.ConvertToVector256Int32(Vector128.Load((short*)p)), 13), Vector256.Create(Mask)).AsSingle();
    }
}
