using System.Buffers.Binary;
using System.Text;
using Dlm.Core;

namespace Dlm.Models.IO.Gguf;

/// <summary>
/// Writes GGUF version 3 files (the layout of ggml's <c>gguf.cpp</c>): the magic <c>GGUF</c>,
/// version, tensor and metadata counts, the metadata key/value pairs in the given order, the
/// tensor infos (name, dims, type, offset into the data section), padding to the alignment,
/// then each tensor's bytes, each padded to the alignment. The file is written atomically and
/// tensors are produced, encoded and written one at a time.
/// </summary>
public static class GgufWriter
{
    /// <summary>The magic bytes "GGUF" as a little-endian uint32.</summary>
    public const uint Magic = 0x46554747;

    /// <summary>The format version written.</summary>
    public const uint Version = 3;

    /// <summary>ggml's default alignment (<c>GGUF_DEFAULT_ALIGNMENT</c>).</summary>
    public const int DefaultAlignment = 32;

    /// <summary>Longest tensor name ggml accepts (<c>GGML_MAX_NAME</c> − 1 bytes).</summary>
    public const int MaxTensorName = 63;

    /// <summary>
    /// Writes <paramref name="metadata"/> and <paramref name="tensors"/> to <paramref name="path"/>.
    /// Everything is checked before the first byte is written. <paramref name="onTensor"/>, when
    /// given, is told each tensor's index after it is written.
    /// </summary>
    public static void Write(string path, IReadOnlyList<KeyValuePair<string, GgufValue>> metadata, IReadOnlyList<GgufTensorToWrite> tensors,
        Action<int>? onTensor = null)
    {
        ArgumentNullException.ThrowIfNull(metadata);
        ArgumentNullException.ThrowIfNull(tensors);
        int alignment = DefaultAlignment;
        var keys = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (key, value) in metadata)
        {
            if (!keys.Add(key)) throw new ArgumentException($"metadata key {key} appears twice", nameof(metadata));
            if (key == "general.alignment")
            {
                alignment = (int)value.AsLong();
                if (value.Type != GgufValueType.UInt32 || alignment <= 0 || (alignment & (alignment - 1)) != 0)
                    throw new ArgumentException("general.alignment must be a uint32 power of two", nameof(metadata));
            }
        }
        var names = new HashSet<string>(StringComparer.Ordinal);
        var offsets = new long[tensors.Count];
        long offset = 0;
        for (int i = 0; i < tensors.Count; i++)
        {
            var t = tensors[i];
            if (!names.Add(t.Name)) throw new ArgumentException($"tensor {t.Name} appears twice", nameof(tensors));
            if (Encoding.UTF8.GetByteCount(t.Name) > MaxTensorName) throw new ArgumentException($"tensor name {t.Name} is longer than {MaxTensorName} bytes", nameof(tensors));
            if (t.Dims.Length is < 1 or > 4 || t.Dims.Any(d => d <= 0)) throw new ArgumentException($"tensor {t.Name}: dims [{string.Join(", ", t.Dims)}] must be 1 to 4 positive sizes", nameof(tensors));
            if (t.Type == GgmlType.Q8_0 && t.Dims[0] % GgmlTypes.Q8BlockSize != 0)
                throw new ArgumentException($"tensor {t.Name}: rows of {t.Dims[0]} values are not whole Q8_0 blocks of {GgmlTypes.Q8BlockSize}", nameof(tensors));
            offsets[i] = offset;
            offset = Align(offset + t.ByteCount, alignment);
        }

        AtomicFile.Write(path, raw =>
        {
            // Not disposed: disposing would close the file before AtomicFile flushes it to disk.
            var s = new BufferedStream(raw, 1 << 20);
            var w = new GgufStreamWriter(s);
            w.U32(Magic);
            w.U32(Version);
            w.U64((ulong)tensors.Count);
            w.U64((ulong)metadata.Count);
            foreach (var (key, value) in metadata)
            {
                w.Str(key);
                w.U32((uint)value.Type);
                w.Value(value);
            }
            for (int i = 0; i < tensors.Count; i++)
            {
                var t = tensors[i];
                w.Str(t.Name);
                w.U32((uint)t.Dims.Length);
                foreach (var d in t.Dims) w.U64((ulong)d);
                w.U32((uint)t.Type);
                w.U64((ulong)offsets[i]);
            }
            w.Pad(alignment);
            long dataStart = w.Position;
            byte[] buffer = [];
            for (int i = 0; i < tensors.Count; i++)
            {
                var t = tensors[i];
                var data = t.Read();
                if (data.LongLength != t.ElementCount)
                    throw new InvalidOperationException($"tensor {t.Name}: dims [{string.Join(", ", t.Dims)}] need {t.ElementCount} values, the source gave {data.LongLength}");
                int bytes = checked((int)t.ByteCount);
                if (buffer.Length < bytes) buffer = new byte[bytes];
                GgmlEncoding.Encode(t.Type, data, buffer.AsSpan(0, bytes));
                if (w.Position - dataStart != offsets[i]) throw new InvalidOperationException($"tensor {t.Name} would land at the wrong offset");
                w.Bytes(buffer.AsSpan(0, bytes));
                w.Pad(alignment);
                onTensor?.Invoke(i);
            }
            s.Flush();
        });
    }

    /// <summary>Rounds <paramref name="x"/> up to a multiple of <paramref name="alignment"/>.</summary>
    public static long Align(long x, int alignment) => (x + alignment - 1) / alignment * alignment;

    /// <summary>Little-endian primitive writes with a running position.</summary>
    private sealed class GgufStreamWriter(Stream s)
    {
        private readonly byte[] _b = new byte[8];

        public long Position { get; private set; }

        public void Bytes(ReadOnlySpan<byte> bytes)
        {
            s.Write(bytes);
            Position += bytes.Length;
        }

        public void U8(byte v) { _b[0] = v; Bytes(_b.AsSpan(0, 1)); }
        public void U16(ushort v) { BinaryPrimitives.WriteUInt16LittleEndian(_b, v); Bytes(_b.AsSpan(0, 2)); }
        public void U32(uint v) { BinaryPrimitives.WriteUInt32LittleEndian(_b, v); Bytes(_b.AsSpan(0, 4)); }
        public void U64(ulong v) { BinaryPrimitives.WriteUInt64LittleEndian(_b, v); Bytes(_b.AsSpan(0, 8)); }

        public void Str(string v)
        {
            var bytes = Encoding.UTF8.GetBytes(v);
            U64((ulong)bytes.Length);
            Bytes(bytes);
        }

        public void Pad(int alignment)
        {
            long pad = Align(Position, alignment) - Position;
            for (long i = 0; i < pad; i++) U8(0);
        }

        public void Value(GgufValue v)
        {
            if (v.Type != GgufValueType.Array)
            {
                Scalar(v.Type, v.Value);
                return;
            }
            var array = (Array)v.Value;
            U32((uint)v.ElementType);
            U64((ulong)array.LongLength);
            foreach (var e in array) Scalar(v.ElementType, e!);
        }

        private void Scalar(GgufValueType type, object v)
        {
            switch (type)
            {
                case GgufValueType.UInt8: U8((byte)v); break;
                case GgufValueType.Int8: U8((byte)(sbyte)v); break;
                case GgufValueType.UInt16: U16((ushort)v); break;
                case GgufValueType.Int16: U16((ushort)(short)v); break;
                case GgufValueType.UInt32: U32((uint)v); break;
                case GgufValueType.Int32: U32((uint)(int)v); break;
                case GgufValueType.Float32: U32(BitConverter.SingleToUInt32Bits((float)v)); break;
                case GgufValueType.Bool: U8((bool)v ? (byte)1 : (byte)0); break;
                case GgufValueType.String: Str((string)v); break;
                case GgufValueType.UInt64: U64((ulong)v); break;
                case GgufValueType.Int64: U64((ulong)(long)v); break;
                case GgufValueType.Float64: U64(BitConverter.DoubleToUInt64Bits((double)v)); break;
                default: throw new ArgumentOutOfRangeException(nameof(type), type, "not a scalar GGUF type");
            }
        }
    }
}
