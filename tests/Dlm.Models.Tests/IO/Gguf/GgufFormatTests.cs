using System.Buffers.Binary;
using Dlm.Models.IO.Gguf;

namespace Dlm.Models.Tests.IO.Gguf;

/// <summary>The GGUF container: every metadata type, arrays, tensor infos and alignment, written then read back.</summary>
public sealed class GgufFormatTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("dlm-gguf-fmt-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public void Every_value_type_and_tensor_type_round_trips()
    {
        var meta = new List<KeyValuePair<string, GgufValue>>
        {
            new("u8", GgufValue.Of(GgufValueType.UInt8, (byte)200)),
            new("i8", GgufValue.Of(GgufValueType.Int8, (sbyte)-100)),
            new("u16", GgufValue.Of(GgufValueType.UInt16, (ushort)60000)),
            new("i16", GgufValue.Of(GgufValueType.Int16, (short)-30000)),
            new("u32", GgufValue.U32(4_000_000_000)),
            new("i32", GgufValue.I32(-2_000_000_000)),
            new("f32", GgufValue.F32(3.25f)),
            new("bool", GgufValue.Bool(true)),
            new("str", GgufValue.Str("héllo ✓")),
            new("u64", GgufValue.U64(ulong.MaxValue)),
            new("i64", GgufValue.Of(GgufValueType.Int64, long.MinValue)),
            new("f64", GgufValue.F64(Math.PI)),
            new("strs", GgufValue.Strings(["a", "", "Ġb c"])),
            new("ints", GgufValue.Ints([1, -2, 3])),
            new("floats", GgufValue.Floats([0.5f, -1f])),
            new("bools", GgufValue.Array(GgufValueType.Bool, new[] { true, false })),
        };
        var values = Enumerable.Range(0, 64 * 3).Select(i => (i - 96) * 0.125f).ToArray();
        var tensors = new[] { GgmlType.F32, GgmlType.F16, GgmlType.BF16, GgmlType.Q8_0 }
            .Select(t => new GgufTensorToWrite($"t.{GgmlTypes.Name(t)}", [64, 3], t, () => values)).ToList();
        var path = Path.Combine(_root, "all.gguf");
        GgufWriter.Write(path, meta, tensors);

        using var f = GgufFile.Open(path);
        Assert.Equal(3u, f.Version);
        Assert.Equal(meta.Select(kv => kv.Key), f.Metadata.Select(kv => kv.Key));
        for (int i = 0; i < meta.Count; i++)
        {
            var (want, got) = (meta[i].Value, f.Metadata[i].Value);
            Assert.Equal(want.Type, got.Type);
            if (want.Type == GgufValueType.Array)
            {
                Assert.Equal(want.ElementType, got.ElementType);
                Assert.Equal(((Array)want.Value).Cast<object>(), ((Array)got.Value).Cast<object>());
            }
            else Assert.Equal(want.Value, got.Value);
        }
        foreach (var t in f.Tensors)
        {
            Assert.Equal(0, t.Offset % GgufWriter.DefaultAlignment);
            Assert.Equal([64L, 3L], t.Dims);
            var back = f.ReadFloat32(t);
            // Multiples of 1/8 within ±12 are exact in f16 and bf16; Q8_0 is within half a step (d/2, d = amax/127 ≤ 12/127).
            if (t.Type != GgmlType.Q8_0) Assert.Equal(values, back);
            else Assert.True(values.Zip(back, (a, b) => Math.Abs(a - b)).Max() <= 12f / 127 / 2 + 1e-3);
        }
        var bytes = File.ReadAllBytes(path);
        Assert.Equal(GgufWriter.Magic, BinaryPrimitives.ReadUInt32LittleEndian(bytes));
        Assert.Equal(4ul, BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan(8)));
        Assert.Equal((ulong)meta.Count, BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan(16)));
    }

    [Fact]
    public void Bad_tensors_are_refused_before_writing()
    {
        var path = Path.Combine(_root, "bad.gguf");
        Assert.Throws<ArgumentException>(() => GgufWriter.Write(path, [], [new("q", [33, 2], GgmlType.Q8_0, () => new float[66])]));
        Assert.Throws<ArgumentException>(() => GgufWriter.Write(path, [], [new(new string('x', 64), [4], GgmlType.F32, () => new float[4])]));
        Assert.Throws<ArgumentException>(() => GgufWriter.Write(path, [new("k", GgufValue.U32(1)), new("k", GgufValue.U32(2))], []));
        Assert.False(File.Exists(path));
    }
}
