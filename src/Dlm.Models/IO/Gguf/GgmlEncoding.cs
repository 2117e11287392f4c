using System.Buffers.Binary;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Dlm.Models.IO.Gguf;

/// <summary>
/// float32 to and from the ggml storage types, bit for bit as ggml does it: f16 rounds to
/// nearest even (<c>GGML_FP32_TO_FP16</c>), bf16 rounds to nearest even with NaN kept quiet
/// (<c>ggml_compute_fp32_to_bf16</c>), Q8_0 is <c>quantize_row_q8_0_ref</c>: per block of 32,
/// d = amax / 127, q = roundf(x · (1/d)) with ties away from zero, d stored as f16.
/// </summary>
public static class GgmlEncoding
{
    /// <summary>Encodes <paramref name="source"/> into <paramref name="destination"/> (exactly <see cref="GgmlTypes.ByteCount"/> bytes).</summary>
    public static void Encode(GgmlType type, ReadOnlySpan<float> source, Span<byte> destination)
    {
        if (destination.Length != GgmlTypes.ByteCount(type, source.Length))
            throw new ArgumentException($"{source.Length} values of {type} need {GgmlTypes.ByteCount(type, source.Length)} bytes, not {destination.Length}", nameof(destination));
        switch (type)
        {
            case GgmlType.F32:
                if (BitConverter.IsLittleEndian) MemoryMarshal.AsBytes(source).CopyTo(destination);
                else for (int i = 0; i < source.Length; i++) BinaryPrimitives.WriteSingleLittleEndian(destination[(i * 4)..], source[i]);
                break;
            case GgmlType.F16:
                if (BitConverter.IsLittleEndian) TensorPrimitives.ConvertToHalf(source, MemoryMarshal.Cast<byte, Half>(destination));
                else for (int i = 0; i < source.Length; i++) BinaryPrimitives.WriteHalfLittleEndian(destination[(i * 2)..], (Half)source[i]);
                break;
            case GgmlType.BF16:
                if (BitConverter.IsLittleEndian) EncodeBf16(source, MemoryMarshal.Cast<byte, ushort>(destination));
                else for (int i = 0; i < source.Length; i++) BinaryPrimitives.WriteUInt16LittleEndian(destination[(i * 2)..], ToBf16(source[i]));
                break;
            case GgmlType.Q8_0:
                EncodeQ8(source, destination);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(type), type, "unknown ggml type");
        }
    }

    /// <summary>
    /// <see cref="Encode"/> split over the thread pool in chunks of whole rows (whole Q8_0 blocks),
    /// for big tensors; the bytes are the same as one sequential <see cref="Encode"/>.
    /// </summary>
    public static void EncodeParallel(GgmlType type, float[] source, byte[] destination, int threads)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(destination);
        const int chunk = 1 << 18; // values per task, a multiple of the Q8_0 block
        int chunks = (source.Length + chunk - 1) / chunk;
        if (threads <= 1 || chunks <= 1)
        {
            Encode(type, source, destination.AsSpan(0, (int)GgmlTypes.ByteCount(type, source.Length)));
            return;
        }
        Parallel.For(0, chunks, new ParallelOptions { MaxDegreeOfParallelism = threads }, c =>
        {
            int start = c * chunk, n = Math.Min(chunk, source.Length - start);
            int byteStart = (int)GgmlTypes.ByteCount(type, start), bytes = (int)GgmlTypes.ByteCount(type, n);
            Encode(type, source.AsSpan(start, n), destination.AsSpan(byteStart, bytes));
        });
    }

    private static void EncodeBf16(ReadOnlySpan<float> x, Span<ushort> y)
    {
        var u = MemoryMarshal.Cast<float, uint>(x);
        int i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            var absMask = Vector256.Create(0x7fffffffu);
            var inf = Vector256.Create(0x7f800000u);
            var one = Vector256.Create(1u);
            var half = Vector256.Create(0x7fffu);
            var quiet = Vector256.Create(64u);
            for (; i + 16 <= u.Length; i += 16)
            {
                var a = Vector256.Create(u.Slice(i, 8));
                var b = Vector256.Create(u.Slice(i + 8, 8));
                var ra = Bf16Lanes(a, absMask, inf, one, half, quiet);
                var rb = Bf16Lanes(b, absMask, inf, one, half, quiet);
                Vector256.Narrow(ra, rb).CopyTo(y.Slice(i, 16));
            }
        }
        for (; i < u.Length; i++) y[i] = ToBf16(x[i]);
    }

    private static Vector256<uint> Bf16Lanes(Vector256<uint> u, Vector256<uint> absMask, Vector256<uint> inf, Vector256<uint> one, Vector256<uint> half, Vector256<uint> quiet)
    {
        var rounded = Vector256.ShiftRightLogical(u + (half + (Vector256.ShiftRightLogical(u, 16) & one)), 16);
        var nan = Vector256.GreaterThan(u & absMask, inf);
        return Vector256.ConditionalSelect(nan, Vector256.ShiftRightLogical(u, 16) | quiet, rounded);
    }

    /// <summary>Decodes <paramref name="source"/> into float32 values (dequantizing Q8_0 as ggml does: q · f16(d)).</summary>
    public static void Decode(GgmlType type, ReadOnlySpan<byte> source, Span<float> destination)
    {
        if (source.Length != GgmlTypes.ByteCount(type, destination.Length))
            throw new ArgumentException($"{destination.Length} values of {type} take {GgmlTypes.ByteCount(type, destination.Length)} bytes, not {source.Length}", nameof(source));
        switch (type)
        {
            case GgmlType.F32:
                if (BitConverter.IsLittleEndian) source.CopyTo(MemoryMarshal.AsBytes(destination));
                else for (int i = 0; i < destination.Length; i++) destination[i] = BinaryPrimitives.ReadSingleLittleEndian(source[(i * 4)..]);
                break;
            case GgmlType.F16:
                if (BitConverter.IsLittleEndian) TensorPrimitives.ConvertToSingle(MemoryMarshal.Cast<byte, Half>(source), destination);
                else for (int i = 0; i < destination.Length; i++) destination[i] = (float)BinaryPrimitives.ReadHalfLittleEndian(source[(i * 2)..]);
                break;
            case GgmlType.BF16:
                for (int i = 0; i < destination.Length; i++)
                    destination[i] = BitConverter.Int32BitsToSingle(BinaryPrimitives.ReadUInt16LittleEndian(source[(i * 2)..]) << 16);
                break;
            case GgmlType.Q8_0:
                for (int b = 0; b < destination.Length / GgmlTypes.Q8BlockSize; b++)
                {
                    var block = source.Slice(b * GgmlTypes.Q8BlockBytes, GgmlTypes.Q8BlockBytes);
                    float d = (float)BinaryPrimitives.ReadHalfLittleEndian(block);
                    var outBlock = destination.Slice(b * GgmlTypes.Q8BlockSize, GgmlTypes.Q8BlockSize);
                    for (int j = 0; j < GgmlTypes.Q8BlockSize; j++) outBlock[j] = (sbyte)block[2 + j] * d;
                }
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(type), type, "unknown ggml type");
        }
    }

    /// <summary>float32 to bfloat16 as ggml rounds it: nearest even; NaN becomes a quiet NaN.</summary>
    public static ushort ToBf16(float x)
    {
        uint u = BitConverter.SingleToUInt32Bits(x);
        if ((u & 0x7fffffff) > 0x7f800000) return (ushort)((u >> 16) | 64);
        return (ushort)((u + (0x7fff + ((u >> 16) & 1))) >> 16);
    }

    private static void EncodeQ8(ReadOnlySpan<float> x, Span<byte> y)
    {
        if (x.Length % GgmlTypes.Q8BlockSize != 0)
            throw new ArgumentException($"Q8_0 needs a multiple of {GgmlTypes.Q8BlockSize} values, not {x.Length}", nameof(x));
        for (int b = 0; b < x.Length / GgmlTypes.Q8BlockSize; b++)
        {
            var xs = x.Slice(b * GgmlTypes.Q8BlockSize, GgmlTypes.Q8BlockSize);
            var block = y.Slice(b * GgmlTypes.Q8BlockBytes, GgmlTypes.Q8BlockBytes);
            float amax = Math.Abs(TensorPrimitives.MaxMagnitude(xs));
            float d = amax / 127f;
            float id = d != 0f ? 1.0f / d : 0.0f;
            BinaryPrimitives.WriteHalfLittleEndian(block, (Half)d);
            var qs = MemoryMarshal.Cast<byte, sbyte>(block[2..]);
            if (Vector256.IsHardwareAccelerated)
            {
                var vid = Vector256.Create(id);
                var halfV = Vector256.Create(0.5f);
                for (int j = 0; j < GgmlTypes.Q8BlockSize; j += 16)
                {
                    var a = RoundAwayFromZero(Vector256.Create(xs.Slice(j, 8)) * vid, halfV);
                    var c = RoundAwayFromZero(Vector256.Create(xs.Slice(j + 8, 8)) * vid, halfV);
                    var shorts = Vector256.Narrow(Vector256.ConvertToInt32(a), Vector256.ConvertToInt32(c));
                    var bytes = Vector256.Narrow(shorts, shorts).GetLower();
                    bytes.CopyTo(qs.Slice(j, 16));
                }
            }
            else
            {
                for (int j = 0; j < GgmlTypes.Q8BlockSize; j++)
                    qs[j] = (sbyte)MathF.Round(xs[j] * id, MidpointRounding.AwayFromZero);
            }
        }
    }

    // roundf: trunc(v) plus one step away from zero when the dropped part is at least a half
    // (v − trunc(v) is exact in float for the |v| ≤ 127 of Q8_0).
    private static Vector256<float> RoundAwayFromZero(Vector256<float> v, Vector256<float> half)
    {
        var t = Vector256.Truncate(v);
        var frac = v - t;
        var up = Vector256.GreaterThanOrEqual(frac, half);
        var down = Vector256.LessThanOrEqual(frac, -half);
        return t + (Vector256<float>.One & up) - (Vector256<float>.One & down);
    }
}
