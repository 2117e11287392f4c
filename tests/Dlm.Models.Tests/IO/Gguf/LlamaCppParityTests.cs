using Dlm.Models.IO.Gguf;
using Xunit.Abstractions;

namespace Dlm.Models.Tests.IO.Gguf;

/// <summary>
/// GGUF files dlm writes, read and run by the real llama.cpp: it loads every type, its logits
/// match dlm's (f32 within 1e-4 of the largest logit; f16/bf16/q8_0 within stated bounds) and
/// its greedy continuation equals dlm's token for token.
/// </summary>
public sealed class LlamaCppParityTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("dlm-gguf-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    // Relative error bounds (max |llama.cpp − dlm| / max |dlm logit|) per stored type.
    // GPT-2 f32 gets 1e-3: ggml computes GELU through an f16 lookup table (GGML_GELU_FP16), measured 3.5e-4.
    private static double Tolerance(string family, GgmlType t) => t switch
    {
        GgmlType.F32 => family == "gpt2" ? 1e-3 : 1e-4,
        GgmlType.F16 => 1e-2,
        GgmlType.BF16 => 4e-2,
        _ => 0.15, // llama.cpp also rounds the activations to Q8_0 blocks before each product
    };

    private static readonly int[] Prompt = [5, 17, 42, 99, 3, 250, 7, 1000, 12, 64, 33, 8];

    public static TheoryData<string, string> Cases()
    {
        var d = new TheoryData<string, string>();
        foreach (var family in new[] { "llama3", "smollm", "qwen2", "gpt2", "niels" })
            foreach (var type in new[] { "f32", "f16", "bf16", "q8_0" })
                d.Add(family, type);
        return d;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Llama_cpp_logits_agree_with_dlm(string family, string typeName)
    {
        var type = GgmlTypes.Parse(typeName)!.Value;
        var folder = TinyModels.Create(family, _root);
        var gguf = Path.Combine(_root, $"{family}-{typeName}.gguf");
        var result = GgufExporter.Export(folder, null, type, gguf);
        using var cpp = new LlamaCpp(gguf);
        var want = DlmReference.Logits(folder, Prompt);
        var got = cpp.Logits(Prompt);
        Assert.Equal(want[0].Length, got[0].Length);
        double maxDiff = 0, maxRef = 0;
        for (int t = 0; t < want.Length; t++)
            for (int v = 0; v < want[t].Length; v++)
            {
                maxDiff = Math.Max(maxDiff, Math.Abs(want[t][v] - got[t][v]));
                maxRef = Math.Max(maxRef, Math.Abs(want[t][v]));
            }
        double rel = maxDiff / maxRef;
        output.WriteLine($"{family} {typeName} ({result.Architecture}, pre {result.PreTokenizer}): {result.Bytes} bytes, max |diff| {maxDiff:G4}, max |logit| {maxRef:G4}, relative {rel:G4}");
        Assert.True(rel <= Tolerance(family, type), $"{family} {typeName}: relative logit error {rel:G4} exceeds {Tolerance(family, type)}");
    }

    [Theory]
    [InlineData("llama3")]
    [InlineData("smollm")]
    [InlineData("qwen2")]
    [InlineData("gpt2")]
    [InlineData("niels")]
    public void F32_greedy_continuation_is_dlms_token_for_token(string family)
    {
        var folder = TinyModels.Create(family, _root);
        var gguf = Path.Combine(_root, $"{family}.gguf");
        GgufExporter.Export(folder, null, GgmlType.F32, gguf);
        using var cpp = new LlamaCpp(gguf);
        var want = DlmReference.Greedy(folder, Prompt, 16);
        var got = cpp.Greedy(Prompt, 16);
        output.WriteLine($"{family}: {string.Join(' ', got)}");
        Assert.Equal(want, got);
    }
}
