using System.Buffers.Binary;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;

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
                for (int i = 0; i < source.Length; i++) BinaryPrimitives.WriteUInt16LittleEndian(destination[(i * 2)..], ToBf16(source[i]));
                break;
            case GgmlType.Q8_0:
                EncodeQ8(source, destination);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(type), type, "unknown ggml type");
        }
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
            float amax = TensorPrimitives.MaxMagnitude(xs);
            amax = Math.Abs(amax);
            float d = amax / 127f;
            float id = d != 0f ? 1.0f / d : 0.0f;
            BinaryPrimitives.WriteHalfLittleEndian(block, (Half)d);
            for (int j = 0; j < GgmlTypes.Q8BlockSize; j++)
                block[2 + j] = (byte)(sbyte)MathF.Round(xs[j] * id, MidpointRounding.AwayFromZero);
        }
    }
}
