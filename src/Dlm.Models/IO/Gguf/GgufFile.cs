using System.Buffers.Binary;
using System.Text;
using Dlm.Core;

namespace Dlm.Models.IO.Gguf;

/// <summary>One tensor's entry in a GGUF file.</summary>
/// <param name="Name">Tensor name.</param>
/// <param name="Dims">Dimensions, ggml order (ne[0] first).</param>
/// <param name="Type">Storage type.</param>
/// <param name="Offset">Absolute byte offset of its data in the file.</param>
public sealed record GgufTensorInfo(string Name, long[] Dims, GgmlType Type, long Offset)
{
    /// <summary>Number of elements.</summary>
    public long ElementCount => Dims.Aggregate(1L, (a, b) => a * b);

    /// <summary>Bytes of data.</summary>
    public long ByteCount => GgmlTypes.ByteCount(Type, ElementCount);
}

/// <summary>
/// Reads GGUF files (versions 2 and 3): metadata, tensor infos, and any tensor as float32.
/// A truncated or corrupt file is a <see cref="DlmException"/> naming the byte offset where
/// the reading went wrong.
/// </summary>
public sealed class GgufFile : IDisposable
{
    private readonly FileStream _stream;
    private readonly Dictionary<string, GgufTensorInfo> _byName = new(StringComparer.Ordinal);

    /// <summary>The file.</summary>
    public string Path { get; }

    /// <summary>Format version.</summary>
    public uint Version { get; }

    /// <summary>Metadata in file order.</summary>
    public IReadOnlyList<KeyValuePair<string, GgufValue>> Metadata { get; }

    /// <summary>Tensors in file order.</summary>
    public IReadOnlyList<GgufTensorInfo> Tensors { get; }

    private GgufFile(string path, FileStream stream, uint version, List<KeyValuePair<string, GgufValue>> metadata, List<GgufTensorInfo> tensors)
    {
        Path = path;
        _stream = stream;
        Version = version;
        Metadata = metadata;
        Tensors = tensors;
        foreach (var t in tensors) _byName[t.Name] = t;
    }

    /// <summary>A metadata value, or null.</summary>
    public GgufValue? Get(string key)
    {
        foreach (var (k, v) in Metadata) if (k == key) return v;
        return null;
    }

    /// <summary>A tensor's info, or null.</summary>
    public GgufTensorInfo? Tensor(string name) => _byName.GetValueOrDefault(name);

    /// <summary>Reads one tensor as float32 (dequantized), row-major in ggml order.</summary>
    public float[] ReadFloat32(GgufTensorInfo tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        var bytes = ReadBytes(tensor);
        var result = new float[tensor.ElementCount];
        GgmlEncoding.Decode(tensor.Type, bytes, result);
        return result;
    }

    /// <summary>Reads one tensor's stored bytes.</summary>
    public byte[] ReadBytes(GgufTensorInfo tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        var bytes = new byte[checked((int)tensor.ByteCount)];
        _stream.Position = tensor.Offset;
        _stream.ReadExactly(bytes);
        return bytes;
    }

    /// <summary>Opens and parses <paramref name="path"/>.</summary>
    public static GgufFile Open(string path)
    {
        if (!File.Exists(path)) throw new DlmException($"{path}: GGUF file not found");
        var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        try
        {
            var r = new Reader(stream, path);
            uint magic = r.U32("magic");
            if (magic != GgufWriter.Magic) throw r.Error(0, $"not a GGUF file (magic 0x{magic:x8}, expected \"GGUF\")");
            uint version = r.U32("version");
            if (version is not (2 or 3)) throw r.Error(4, $"GGUF version {version} is not supported (dlm reads 2 and 3)");
            long tensorCount = r.Count("tensor count");
            long kvCount = r.Count("metadata count");
            var metadata = new List<KeyValuePair<string, GgufValue>>();
            int alignment = GgufWriter.DefaultAlignment;
            for (long i = 0; i < kvCount; i++)
            {
                long at = r.Position;
                var key = r.Str("metadata key");
                var type = r.Type("value type of " + key);
                var value = r.Value(type, key);
                metadata.Add(new(key, value));
                if (key == "general.alignment")
                {
                    alignment = value.Type == GgufValueType.UInt32 ? (int)value.AsLong() : 0;
                    if (alignment <= 0 || (alignment & (alignment - 1)) != 0) throw r.Error(at, "general.alignment must be a uint32 power of two");
                }
            }
            var infos = new List<(string, long[], GgmlType, long, long)>();
            for (long i = 0; i < tensorCount; i++)
            {
                long at = r.Position;
                var name = r.Str("tensor name");
                uint nd = r.U32($"dimension count of {name}");
                if (nd is < 1 or > 4) throw r.Error(at, $"tensor {name} has {nd} dimensions (1 to 4 allowed)");
                var dims = new long[nd];
                for (int d = 0; d < nd; d++)
                {
                    dims[d] = (long)r.U64($"dimension {d} of {name}");
                    if (dims[d] <= 0 || dims[d] > int.MaxValue) throw r.Error(r.Position - 8, $"tensor {name} has dimension {dims[d]}");
                }
                long typeAt = r.Position;
                uint type = r.U32($"type of {name}");
                if (!GgmlTypes.IsKnown(type)) throw r.Error(typeAt, $"tensor {name} has ggml type {type}; dlm reads f32, f16, bf16 and q8_0");
                long offset = (long)r.U64($"offset of {name}");
                if ((GgmlType)type == GgmlType.Q8_0 && dims[0] % GgmlTypes.Q8BlockSize != 0)
                    throw r.Error(typeAt, $"tensor {name}: rows of {dims[0]} values are not whole Q8_0 blocks");
                infos.Add((name, dims, (GgmlType)type, offset, at));
            }
            long dataStart = GgufWriter.Align(r.Position, alignment);
            var tensors = new List<GgufTensorInfo>();
            foreach (var (name, dims, type, offset, at) in infos)
            {
                var info = new GgufTensorInfo(name, dims, type, dataStart + offset);
                if (offset % alignment != 0) throw r.Error(at, $"tensor {name}: data offset {offset} is not a multiple of the alignment {alignment}");
                if (info.Offset + info.ByteCount > stream.Length)
                    throw r.Error(info.Offset, $"tensor {name}: its {info.ByteCount} bytes at offset {info.Offset} run past the end of the file ({stream.Length} bytes); the file is truncated");
                tensors.Add(info);
            }
            return new GgufFile(path, stream, version, metadata, tensors);
        }
        catch
        {
            stream.Dispose();
            throw;
        }
    }

    /// <inheritdoc />
    public void Dispose() => _stream.Dispose();

    /// <summary>Little-endian reads that know their offset and the file's length.</summary>
    private sealed class Reader(FileStream s, string path)
    {
        private readonly byte[] _b = new byte[8];

        public long Position { get; private set; }

        public DlmException Error(long offset, string message) => new($"{path}: at byte {offset}: {message}");

        private ReadOnlySpan<byte> Take(int n, string what)
        {
            int got = s.ReadAtLeast(_b.AsSpan(0, n), n, throwOnEndOfStream: false);
            if (got < n) throw Error(Position, $"file ends while reading the {what} (truncated GGUF)");
            Position += n;
            return _b.AsSpan(0, n);
        }

        public uint U32(string what) => BinaryPrimitives.ReadUInt32LittleEndian(Take(4, what));
        public ulong U64(string what) => BinaryPrimitives.ReadUInt64LittleEndian(Take(8, what));

        public long Count(string what)
        {
            long at = Position;
            ulong n = U64(what);
            if (n > (ulong)s.Length) throw Error(at, $"{what} {n} is impossible in a file of {s.Length} bytes");
            return (long)n;
        }

        public GgufValueType Type(string what)
        {
            long at = Position;
            uint t = U32(what);
            if (t > (uint)GgufValueType.Float64) throw Error(at, $"unknown value type {t} ({what})");
            return (GgufValueType)t;
        }

        public string Str(string what)
        {
            long at = Position;
            ulong n = U64(what + " length");
            if (n > (ulong)(s.Length - Position)) throw Error(at, $"{what} of {n} bytes runs past the end of the file (truncated or corrupt GGUF)");
            var bytes = new byte[n];
            int got = s.ReadAtLeast(bytes, (int)n, throwOnEndOfStream: false);
            if (got < (int)n) throw Error(Position, $"file ends inside the {what}");
            Position += (long)n;
            try
            {
                return new UTF8Encoding(false, true).GetString(bytes);
            }
            catch (DecoderFallbackException)
            {
                throw Error(at, $"{what} is not valid UTF-8");
            }
        }

        public GgufValue Value(GgufValueType type, string key)
        {
            if (type != GgufValueType.Array) return GgufValue.Of(type, Scalar(type, key));
            var elem = Type($"array element type of {key}");
            if (elem == GgufValueType.Array) throw Error(Position - 4, $"{key}: nested arrays are not supported");
            long n = Count($"array length of {key}");
            var array = System.Array.CreateInstance(GgufValue.ClrType(elem), n);
            for (long i = 0; i < n; i++) array.SetValue(Scalar(elem, key), i);
            return GgufValue.Array(elem, array);
        }

        private object Scalar(GgufValueType type, string key) => type switch
        {
            GgufValueType.UInt8 => Take(1, key)[0],
            GgufValueType.Int8 => (sbyte)Take(1, key)[0],
            GgufValueType.UInt16 => BinaryPrimitives.ReadUInt16LittleEndian(Take(2, key)),
            GgufValueType.Int16 => BinaryPrimitives.ReadInt16LittleEndian(Take(2, key)),
            GgufValueType.UInt32 => BinaryPrimitives.ReadUInt32LittleEndian(Take(4, key)),
            GgufValueType.Int32 => BinaryPrimitives.ReadInt32LittleEndian(Take(4, key)),
            GgufValueType.Float32 => BinaryPrimitives.ReadSingleLittleEndian(Take(4, key)),
            GgufValueType.Bool => BoolAt(key),
            GgufValueType.String => Str(key),
            GgufValueType.UInt64 => BinaryPrimitives.ReadUInt64LittleEndian(Take(8, key)),
            GgufValueType.Int64 => BinaryPrimitives.ReadInt64LittleEndian(Take(8, key)),
            GgufValueType.Float64 => BinaryPrimitives.ReadDoubleLittleEndian(Take(8, key)),
            _ => throw Error(Position, $"{key}: unknown value type {type}"),
        };

        private bool BoolAt(string key)
        {
            long at = Position;
            byte b = Take(1, key)[0];
            return b switch { 0 => false, 1 => true, _ => throw Error(at, $"{key}: bool byte {b} is neither 0 nor 1") };
        }
    }
}
