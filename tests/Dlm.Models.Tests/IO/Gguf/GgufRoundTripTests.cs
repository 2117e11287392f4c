using Dlm.Core;
using Dlm.Models.Config;
using Dlm.Models.IO;
using Dlm.Models.IO.Gguf;
using Dlm.Models.Transformer;
using Dlm.Tokenizers;
using LLama;
using LLama.Native;

namespace Dlm.Models.Tests.IO.Gguf;

/// <summary>Import back to Hugging Face folders, Q8_0 against llama.cpp's own quantizer, and the refusals.</summary>
public sealed class GgufRoundTripTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("dlm-gguf-rt-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private static readonly string[] Texts =
    [
        "Hello world", "  leading spaces and trailing  ", "numbers 12345 and 3.14159", "naïve café, 日本語のテキスト",
        "tabs\tand\nnew\n\nlines", "it's we'll they're I'M", "emoji 🎉 done",
    ];

    [Theory]
    [InlineData("llama3")]
    [InlineData("smollm")]
    [InlineData("qwen2")]
    [InlineData("gpt2")]
    [InlineData("niels")]
    public void F32_export_then_import_is_bit_exact(string family)
    {
        var folder = TinyModels.Create(family, _root);
        var gguf = Path.Combine(_root, family + ".gguf");
        GgufExporter.Export(folder, null, GgmlType.F32, gguf);
        var back = Path.Combine(_root, family + "-back");
        var result = GgufImporter.Import(gguf, back);
        var original = HfModelFolder.LoadConfig(folder);
        Assert.Equal(HfConfigJson.ToJson(original), HfConfigJson.ToJson(result.Config));
        var layout = new ParameterLayout(original);
        using var a = new HfWeightReader(folder);
        using var b = new HfWeightReader(back);
        foreach (var t in layout.Tensors)
        {
            var x = a.Read(t);
            var y = b.Read(t);
            Assert.True(x.AsSpan().SequenceEqual(y), $"{family}: tensor {t.Name} differs after the round trip");
        }
        // The rebuilt tokenizer.json tokenizes as the original.
        var tokA = Tokenizer.FromPath(folder);
        var tokB = Tokenizer.FromPath(back);
        foreach (var text in Texts)
        {
            Assert.Equal(tokA.Encode(text), tokB.Encode(text));
            Assert.Equal(tokA.Encode(text, addSpecialTokens: true), tokB.Encode(text, addSpecialTokens: true));
        }
    }

    [Theory]
    [InlineData("f16")]
    [InlineData("bf16")]
    [InlineData("q8_0")]
    public void Lower_types_import_as_their_dequantized_values(string typeName)
    {
        var type = GgmlTypes.Parse(typeName)!.Value;
        var folder = TinyModels.Create("smollm", _root);
        var gguf = Path.Combine(_root, "m.gguf");
        GgufExporter.Export(folder, null, type, gguf);
        var back = Path.Combine(_root, "back");
        GgufImporter.Import(gguf, back);
        using var a = new HfWeightReader(folder);
        using var b = new HfWeightReader(back);
        var t = a.Layout.Tensors.First(x => x.Name.EndsWith("mlp.down_proj.weight", StringComparison.Ordinal));
        var x = a.Read(t);
        var bytes = new byte[GgmlTypes.ByteCount(type, x.Length)];
        GgmlEncoding.Encode(type, x, bytes);
        var want = new float[x.Length];
        GgmlEncoding.Decode(type, bytes, want);
        Assert.Equal(want, b.Read(t));
    }

    [Fact]
    public void Q8_0_tensors_are_byte_for_byte_what_llama_cpp_quantize_writes()
    {
        var folder = TinyModels.Create("niels", _root);
        var f32 = Path.Combine(_root, "f32.gguf");
        var ours = Path.Combine(_root, "ours-q8.gguf");
        var theirs = Path.Combine(_root, "llama-cpp-q8.gguf");
        GgufExporter.Export(folder, null, GgmlType.F32, f32);
        GgufExporter.Export(folder, null, GgmlType.Q8_0, ours);
        using (new LlamaCpp(f32)) { } // fails with the clear message when the native library is missing
        Assert.True(LLamaQuantizer.Quantize(f32, theirs, LLamaFtype.MOSTLY_Q8_0, 1), "llama_model_quantize failed");
        using var a = GgufFile.Open(ours);
        using var b = GgufFile.Open(theirs);
        int compared = 0;
        foreach (var t in a.Tensors.Where(t => t.Type == GgmlType.Q8_0))
        {
            var u = b.Tensor(t.Name);
            if (u is null || u.Type != GgmlType.Q8_0) continue;
            Assert.Equal(a.ReadBytes(t), b.ReadBytes(u));
            compared++;
        }
        Assert.True(compared >= 10, $"only {compared} tensors were Q8_0 in both files");
    }

    [Fact]
    public void Q8_0_follows_ggml_on_a_hand_checked_block()
    {
        var x = new float[32];
        for (int i = 0; i < 32; i++) x[i] = (i - 16) * 0.25f;   // amax = 4, d = 4/127
        x[5] = 0.5f * (4f / 127f);                              // exactly half a step: ggml's roundf goes away from zero
        var bytes = new byte[34];
        GgmlEncoding.Encode(GgmlType.Q8_0, x, bytes);
        Assert.Equal((Half)(4f / 127f), BitConverter.ToHalf(bytes, 0));
        Assert.Equal(-127, (sbyte)bytes[2]);
        Assert.Equal(1, (sbyte)bytes[2 + 5]);
        Assert.Equal(0, (sbyte)bytes[2 + 16]);
        var zeros = new byte[34];
        GgmlEncoding.Encode(GgmlType.Q8_0, new float[32], zeros);
        Assert.All(zeros, b => Assert.Equal(0, b));
    }

    [Fact]
    public void Truncated_or_corrupt_files_fail_with_the_byte_offset()
    {
        var folder = TinyModels.Create("smollm", _root);
        var gguf = Path.Combine(_root, "m.gguf");
        GgufExporter.Export(folder, null, GgmlType.F16, gguf);
        var bytes = File.ReadAllBytes(gguf);
        foreach (var cut in new[] { 3, 10, 30, 200, 5000, bytes.Length / 2, bytes.Length - 1 })
        {
            var bad = Path.Combine(_root, $"cut{cut}.gguf");
            File.WriteAllBytes(bad, bytes.AsSpan(0, cut).ToArray());
            var e = Assert.Throws<DlmException>(() => GgufImporter.Import(bad, Path.Combine(_root, $"out{cut}")));
            Assert.Contains("at byte", e.Message);
            Assert.DoesNotContain('\n', e.Message);
            Assert.False(Directory.Exists(Path.Combine(_root, $"out{cut}")), "nothing is written for a bad file");
        }
        var corrupt = (byte[])bytes.Clone();
        corrupt[0] = (byte)'X';
        File.WriteAllBytes(Path.Combine(_root, "magic.gguf"), corrupt);
        var m = Assert.Throws<DlmException>(() => GgufImporter.Import(Path.Combine(_root, "magic.gguf"), Path.Combine(_root, "o")));
        Assert.Contains("at byte 0: not a GGUF file", m.Message);
        corrupt = (byte[])bytes.Clone();
        corrupt[24 + 8 + "general.architecture".Length] = 99; // the first value's type
        File.WriteAllBytes(Path.Combine(_root, "type.gguf"), corrupt);
        var t = Assert.Throws<DlmException>(() => GgufImporter.Import(Path.Combine(_root, "type.gguf"), Path.Combine(_root, "o")));
        Assert.Contains($"at byte {24 + 8 + "general.architecture".Length}: unknown value type 99", t.Message);
    }

    [Fact]
    public void Unsupported_tokenizers_are_refused_before_a_byte_is_written()
    {
        var folder = TinyModels.Create("smollm", _root);
        var json = File.ReadAllText(Path.Combine(folder, "tokenizer.json"));
        File.WriteAllText(Path.Combine(folder, "tokenizer.json"), json.Replace("\"type\": \"BPE\"", "\"type\": \"WordPiece\"", StringComparison.Ordinal));
        var out1 = Path.Combine(_root, "x.gguf");
        var e = Assert.Throws<DlmException>(() => GgufExporter.Export(folder, null, GgmlType.F32, out1));
        Assert.Contains("tokenizer model WordPiece is not supported", e.Message);
        Assert.False(File.Exists(out1));
        File.WriteAllText(Path.Combine(folder, "tokenizer.json"), json.Replace("\\\\s+(?!\\\\S)|\\\\s+", "\\\\s+", StringComparison.Ordinal));
        var p = Assert.Throws<DlmException>(() => GgufExporter.Export(folder, null, GgmlType.F32, out1));
        Assert.Contains("matches none of llama.cpp's", p.Message);
        Assert.False(File.Exists(out1));
        File.Delete(Path.Combine(folder, "tokenizer.json"));
        var n = Assert.Throws<DlmException>(() => GgufExporter.Export(folder, null, GgmlType.F32, out1));
        Assert.Contains("no tokenizer.json", n.Message);
        Assert.Empty(Directory.GetFiles(_root, "*.gguf*"));
    }

    [Fact]
    public void An_unsupported_architecture_on_import_is_named()
    {
        var folder = TinyModels.Create("smollm", _root);
        var gguf = Path.Combine(_root, "m.gguf");
        GgufExporter.Export(folder, null, GgmlType.F32, gguf);
        var bytes = File.ReadAllBytes(gguf);
        // "llama" -> "falco" in general.architecture's value (same length keeps the file valid).
        var text = System.Text.Encoding.ASCII.GetBytes("llama");
        int at = bytes.AsSpan().IndexOf(text);
        System.Text.Encoding.ASCII.GetBytes("falco").CopyTo(bytes, at);
        File.WriteAllBytes(gguf, bytes);
        var e = Assert.Throws<DlmException>(() => GgufImporter.Import(gguf, Path.Combine(_root, "o")));
        Assert.Contains("architecture falco is not supported", e.Message);
    }
}
