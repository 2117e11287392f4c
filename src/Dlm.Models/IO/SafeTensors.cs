using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Dlm.Core;

namespace Dlm.Models.IO;

/// <summary>Element types dlm reads from safetensors files (and which it writes).</summary>
public enum SafeTensorDType
{
    /// <summary>IEEE float32 (read and written).</summary>
    F32,
    /// <summary>IEEE float16 (read, converted to float32).</summary>
    F16,
    /// <summary>bfloat16 (read, converted to float32).</summary>
    BF16,
    /// <summary>int64 (read and written; used for token batches in fixtures).</summary>
    I64,
    /// <summary>int32 (read and written).</summary>
    I32,
}

/// <summary>One tensor's header entry: dtype, shape, and where its bytes lie in the data section.</summary>
/// <param name="Name">Tensor name, e.g. <c>model.layers.0.self_attn.q_proj.weight</c>.</param>
/// <param name="DType">Stored element type.</param>
/// <param name="Shape">Dimensions, outermost first.</param>
/// <param name="Begin">Byte offset of the first element, relative to the data section.</param>
/// <param name="End">Byte offset one past the last element, relative to the data section.</param>
public sealed record SafeTensorInfo(string Name, SafeTensorDType DType, long[] Shape, long Begin, long End)
{
    /// <summary>Number of elements (product of the shape; 1 for a scalar).</summary>
    public long ElementCount => Shape.Aggregate(1L, (a, b) => a * b);
}

/// <summary>
/// Reader for the safetensors format: an 8-byte little-endian header length, a JSON header
/// mapping names to <c>{dtype, shape, data_offsets}</c> (plus optional <c>__metadata__</c>),
/// then the raw little-endian data. Tensors are read on demand, converted to float32.
/// </summary>
public sealed class SafeTensorsFile : IDisposable
{
    private readonly FileStream _stream;
    private readonly long _dataStart;

    private SafeTensorsFile(string path, FileStream stream, long dataStart,
        Dictionary<string, SafeTensorInfo> tensors, Dictionary<string, string> metadata)
    {
        Path = path;
        _stream = stream;
        _dataStart = dataStart;
        Tensors = tensors;
        Metadata = metadata;
    }

    /// <summary>The file this was opened from.</summary>
    public string Path { get; }

    /// <summary>Header entries by tensor name.</summary>
    public IReadOnlyDictionary<string, SafeTensorInfo> Tensors { get; }

    /// <summary>The free-form string metadata of the header (<c>__metadata__</c>).</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>Opens a file and parses its header; throws <see cref="DlmException"/> on a malformed file.</summary>
    public static SafeTensorsFile Open(string path)
    {
        if (!File.Exists(path)) throw new DlmException($"{path}: safetensors file not found");
        var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.RandomAccess);
        try
        {
            Span<byte> lenBytes = stackalloc byte[8];
            if (stream.Read(lenBytes) != 8) throw new DlmException($"{path}: not a safetensors file (shorter than 8 bytes)");
            long headerLen = BinaryPrimitives.ReadInt64LittleEndian(lenBytes);
            if (headerLen <= 0 || headerLen > 100_000_000 || 8 + headerLen > stream.Length)
                throw new DlmException($"{path}: not a safetensors file (header length {headerLen})");
            var header = new byte[headerLen];
            stream.ReadExactly(header);
            long dataLen = stream.Length - 8 - headerLen;
            var (tensors, metadata) = ParseHeader(path, header, dataLen);
            return new SafeTensorsFile(path, stream, 8 + headerLen, tensors, metadata);
        }
        catch
        {
            stream.Dispose();
            throw;
        }
    }

    /// <summary>Reads one tensor as float32 (F16 and BF16 are widened; integers converted).</summary>
    public float[] ReadFloat32(string name)
    {
        var info = Get(name);
        var result = new float[info.ElementCount];
        ReadFloat32(name, result);
        return result;
    }

    /// <summary>Reads one tensor as float32 into <paramref name="destination"/> (exactly its element count).</summary>
    public void ReadFloat32(string name, Span<float> destination)
    {
        var info = Get(name);
        if (destination.Length != info.ElementCount)
            throw new DlmException($"{Path}: tensor {name} has {info.ElementCount} elements, destination holds {destination.Length}");
        var bytes = ReadBytes(info);
        switch (info.DType)
        {
            case SafeTensorDType.F32:
                for (int i = 0; i < destination.Length; i++) destination[i] = BinaryPrimitives.ReadSingleLittleEndian(bytes.AsSpan(i * 4));
                break;
            case SafeTensorDType.F16:
                for (int i = 0; i < destination.Length; i++) destination[i] = (float)BinaryPrimitives.ReadHalfLittleEndian(bytes.AsSpan(i * 2));
                break;
            case SafeTensorDType.BF16:
                for (int i = 0; i < destination.Length; i++)
                    destination[i] = BitConverter.Int32BitsToSingle(BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(i * 2)) << 16);
                break;
            case SafeTensorDType.I64:
                for (int i = 0; i < destination.Length; i++) destination[i] = BinaryPrimitives.ReadInt64LittleEndian(bytes.AsSpan(i * 8));
                break;
            case SafeTensorDType.I32:
                for (int i = 0; i < destination.Length; i++) destination[i] = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(i * 4));
                break;
        }
    }

    /// <summary>Reads an integer tensor (I64 or I32) as int64 values.</summary>
    public long[] ReadInt64(string name)
    {
        var info = Get(name);
        var bytes = ReadBytes(info);
        var result = new long[info.ElementCount];
        switch (info.DType)
        {
            case SafeTensorDType.I64:
                for (int i = 0; i < result.Length; i++) result[i] = BinaryPrimitives.ReadInt64LittleEndian(bytes.AsSpan(i * 8));
                break;
            case SafeTensorDType.I32:
                for (int i = 0; i < result.Length; i++) result[i] = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(i * 4));
                break;
            default:
                throw new DlmException($"{Path}: tensor {name} is {info.DType}, not an integer tensor");
        }
        return result;
    }

    /// <inheritdoc />
    public void Dispose() => _stream.Dispose();

    private SafeTensorInfo Get(string name) =>
        Tensors.TryGetValue(name, out var info) ? info : throw new DlmException($"{Path}: no tensor named {name}");

    private byte[] ReadBytes(SafeTensorInfo info)
    {
        var bytes = new byte[info.End - info.Begin];
        lock (_stream)
        {
            _stream.Position = _dataStart + info.Begin;
            _stream.ReadExactly(bytes);
        }
        return bytes;
    }

    private static int ElementSize(SafeTensorDType t) => t switch
    {
        SafeTensorDType.F32 or SafeTensorDType.I32 => 4,
        SafeTensorDType.F16 or SafeTensorDType.BF16 => 2,
        _ => 8,
    };

    private static (Dictionary<string, SafeTensorInfo>, Dictionary<string, string>) ParseHeader(string path, byte[] header, long dataLen)
    {
        JsonObject root;
        try
        {
            root = JsonNode.Parse(header)?.AsObject() ?? throw new DlmException($"{path}: empty safetensors header");
        }
        catch (JsonException e)
        {
            throw new DlmException($"{path}: malformed safetensors header: {e.Message}");
        }
        var tensors = new Dictionary<string, SafeTensorInfo>(StringComparer.Ordinal);
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, node) in root)
        {
            if (name == "__metadata__")
            {
                if (node is JsonObject meta)
                    foreach (var (k, v) in meta) metadata[k] = v?.GetValue<string>() ?? "";
                continue;
            }
            if (node is not JsonObject o) throw new DlmException($"{path}: tensor {name}: entry is not an object");
            var dtypeText = o["dtype"]?.GetValue<string>() ?? throw new DlmException($"{path}: tensor {name}: no dtype");
            if (!Enum.TryParse<SafeTensorDType>(dtypeText, ignoreCase: false, out var dtype))
                throw new DlmException($"{path}: tensor {name}: unsupported dtype {dtypeText} (dlm reads F32, F16, BF16, I64, I32)");
            var shape = o["shape"]?.AsArray().Select(x => x!.GetValue<long>()).ToArray() ?? throw new DlmException($"{path}: tensor {name}: no shape");
            var offsets = o["data_offsets"]?.AsArray().Select(x => x!.GetValue<long>()).ToArray();
            if (offsets is not { Length: 2 }) throw new DlmException($"{path}: tensor {name}: data_offsets must hold two numbers");
            var info = new SafeTensorInfo(name, dtype, shape, offsets[0], offsets[1]);
            if (info.Begin < 0 || info.End > dataLen || info.End - info.Begin != info.ElementCount * ElementSize(dtype))
                throw new DlmException($"{path}: tensor {name}: data_offsets [{info.Begin}, {info.End}] do not match shape and dtype or lie past the end of the file");
            tensors[name] = info;
        }
        return (tensors, metadata);
    }
}

/// <summary>A tensor to write: name, shape, and float32 or int64 data.</summary>
/// <param name="Name">Tensor name.</param>
/// <param name="Shape">Dimensions, outermost first.</param>
/// <param name="FloatData">Data when the tensor is F32.</param>
/// <param name="IntData">Data when the tensor is I64.</param>
/// <param name="FloatType">How float data is stored: F32, or F16/BF16 (rounded to nearest even).</param>
public sealed record SafeTensorToWrite(string Name, long[] Shape, float[]? FloatData = null, long[]? IntData = null, SafeTensorDType FloatType = SafeTensorDType.F32)
{
    /// <summary>A float tensor stored as F32, F16 or BF16.</summary>
    public static SafeTensorToWrite Stored(string name, float[] data, SafeTensorDType storeAs, params long[] shape) =>
        storeAs is SafeTensorDType.F32 or SafeTensorDType.F16 or SafeTensorDType.BF16
            ? new(name, shape, FloatData: data, FloatType: storeAs)
            : throw new ArgumentException($"float data cannot be stored as {storeAs}", nameof(storeAs));

    /// <summary>A float32 tensor.</summary>
    public static SafeTensorToWrite F32(string name, float[] data, params long[] shape) => new(name, shape, FloatData: data);

    /// <summary>An int64 tensor.</summary>
    public static SafeTensorToWrite I64(string name, long[] data, params long[] shape) => new(name, shape, IntData: data);
}

/// <summary>Writes safetensors files atomically (tensors in name order, as the Python library does).</summary>
public static class SafeTensorsWriter
{
    /// <summary>Writes <paramref name="tensors"/> (and optional string metadata) to <paramref name="path"/> atomically.</summary>
    public static void Write(string path, IEnumerable<SafeTensorToWrite> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        var list = tensors.OrderBy(t => t.Name, StringComparer.Ordinal).ToList();
        var header = new JsonObject();
        if (metadata is { Count: > 0 })
        {
            var meta = new JsonObject();
            foreach (var (k, v) in metadata.OrderBy(kv => kv.Key, StringComparer.Ordinal)) meta[k] = v;
            header["__metadata__"] = meta;
        }
        long offset = 0;
        foreach (var t in list)
        {
            long count = t.Shape.Aggregate(1L, (a, b) => a * b);
            long have = t.FloatData?.Length ?? t.IntData?.Length ?? throw new ArgumentException($"tensor {t.Name} has no data");
            if (have != count) throw new ArgumentException($"tensor {t.Name}: shape [{string.Join(", ", t.Shape)}] needs {count} elements, data has {have}");
            long size = count * (t.FloatData is null ? 8 : t.FloatType == SafeTensorDType.F32 ? 4 : 2);
            header[t.Name] = new JsonObject
            {
                ["dtype"] = t.FloatData is not null ? t.FloatType.ToString() : "I64",
                ["shape"] = new JsonArray(t.Shape.Select(s => (JsonNode)s).ToArray()),
                ["data_offsets"] = new JsonArray(offset, offset + size),
            };
            offset += size;
        }
        var headerBytes = Encoding.UTF8.GetBytes(header.ToJsonString());
        // Pad the header with spaces so the data section starts 8-byte aligned, as the reference writer does.
        int pad = (8 - headerBytes.Length % 8) % 8;
        AtomicFile.Write(path, s =>
        {
            Span<byte> len = stackalloc byte[8];
            BinaryPrimitives.WriteInt64LittleEndian(len, headerBytes.Length + pad);
            s.Write(len);
            s.Write(headerBytes);
            for (int i = 0; i < pad; i++) s.WriteByte((byte)' ');
            var buf = new byte[8];
            foreach (var t in list)
            {
                if (t.FloatData is { } f && t.FloatType == SafeTensorDType.F16)
                    foreach (var x in f) { BinaryPrimitives.WriteHalfLittleEndian(buf, (Half)x); s.Write(buf, 0, 2); }
                else if (t.FloatData is { } g && t.FloatType == SafeTensorDType.BF16)
                    foreach (var x in g) { BinaryPrimitives.WriteUInt16LittleEndian(buf, ToBFloat16(x)); s.Write(buf, 0, 2); }
                else if (t.FloatData is { } f32)
                    foreach (var x in f32) { BinaryPrimitives.WriteSingleLittleEndian(buf, x); s.Write(buf, 0, 4); }
                else
                    foreach (var x in t.IntData!) { BinaryPrimitives.WriteInt64LittleEndian(buf, x); s.Write(buf, 0, 8); }
            }
        });
    }

    /// <summary>float32 to bfloat16, round to nearest even (NaN stays NaN).</summary>
    internal static ushort ToBFloat16(float x)
    {
        uint bits = BitConverter.SingleToUInt32Bits(x);
        if (float.IsNaN(x)) return (ushort)((bits >> 16) | 0x40);
        uint rounding = 0x7FFF + ((bits >> 16) & 1);
        return (ushort)((bits + rounding) >> 16);
    }
}
