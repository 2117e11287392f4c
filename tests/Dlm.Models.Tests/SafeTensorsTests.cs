using System.Buffers.Binary;
using System.Text;
using Dlm.Core;
using Dlm.Models.IO;

namespace Dlm.Models.Tests;

public sealed class SafeTensorsTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("dlm-st-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Round_trips_f32_and_i64_with_metadata()
    {
        var path = Path.Combine(_dir, "a.safetensors");
        SafeTensorsWriter.Write(path,
        [
            SafeTensorToWrite.F32("w", [1f, -2.5f, 3f, 4f, 5f, 6f], 2, 3),
            SafeTensorToWrite.I64("ids", [7L, -1L], 2),
            SafeTensorToWrite.F32("scalar", [9f]),
        ], new Dictionary<string, string> { ["format"] = "pt" });
        using var f = SafeTensorsFile.Open(path);
        Assert.Equal([1f, -2.5f, 3f, 4f, 5f, 6f], f.ReadFloat32("w"));
        Assert.Equal([2L, 3L], f.Tensors["w"].Shape);
        Assert.Equal([7L, -1L], f.ReadInt64("ids"));
        Assert.Equal([9f], f.ReadFloat32("scalar"));
        Assert.Empty(f.Tensors["scalar"].Shape);
        Assert.Equal("pt", f.Metadata["format"]);
        Assert.Equal(0, (8 + BinaryPrimitives.ReadInt64LittleEndian(File.ReadAllBytes(path))) % 8);
    }

    [Fact]
    public void Widens_f16_and_bf16()
    {
        // 1.5 in f16 is 0x3E00; -2.0 in bf16 is 0xC000.
        var path = Write("""{"h":{"dtype":"F16","shape":[1],"data_offsets":[0,2]},"b":{"dtype":"BF16","shape":[1],"data_offsets":[2,4]}}""",
            [0x00, 0x3E, 0x00, 0xC0]);
        using var f = SafeTensorsFile.Open(path);
        Assert.Equal([1.5f], f.ReadFloat32("h"));
        Assert.Equal([-2f], f.ReadFloat32("b"));
    }

    [Fact]
    public void Malformed_files_are_user_errors()
    {
        var shortFile = Path.Combine(_dir, "short.safetensors");
        File.WriteAllBytes(shortFile, [1, 2]);
        Assert.Throws<DlmException>(() => SafeTensorsFile.Open(shortFile));
        var badOffsets = Write("""{"x":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}}""", [0, 0, 0, 0]);
        var e = Assert.Throws<DlmException>(() => SafeTensorsFile.Open(badOffsets));
        Assert.Contains("tensor x", e.Message);
        var badType = Write("""{"x":{"dtype":"F8_E4M3","shape":[1],"data_offsets":[0,1]}}""", [0]);
        Assert.Contains("unsupported dtype F8_E4M3", Assert.Throws<DlmException>(() => SafeTensorsFile.Open(badType)).Message);
    }

    private string Write(string header, byte[] data)
    {
        var path = Path.Combine(_dir, Guid.NewGuid().ToString("N") + ".safetensors");
        var h = Encoding.UTF8.GetBytes(header);
        var bytes = new byte[8 + h.Length + data.Length];
        BinaryPrimitives.WriteInt64LittleEndian(bytes, h.Length);
        h.CopyTo(bytes, 8);
        data.CopyTo(bytes, 8 + h.Length);
        File.WriteAllBytes(path, bytes);
        return path;
    }
}
