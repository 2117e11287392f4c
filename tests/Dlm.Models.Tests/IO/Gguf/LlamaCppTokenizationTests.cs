using Dlm.Models.IO.Gguf;
using Dlm.Tokenizers;

namespace Dlm.Models.Tests.IO.Gguf;

/// <summary>llama.cpp's tokenization from the vocabulary dlm embedded equals dlm's own (and so Hugging Face's).</summary>
public sealed class LlamaCppTokenizationTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("dlm-gguf-tok-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private static readonly string[] Texts =
    [
        "Hello world", "  leading spaces and trailing  ", "numbers 12345 and 3.14159", "naïve café, 日本語のテキスト",
        "tabs\tand\nnew\n\nlines", "it's we'll they're I'M", "emoji 🎉 done",
    ];

    [Theory]
    [InlineData("llama3", "<|start_header_id|>user<|end_header_id|>\n\nhi<|eot_id|>")]
    [InlineData("qwen2", "<|im_start|>user\nhi<|im_end|>\n")]
    [InlineData("smollm", "<|user|>hi there<|eot|>")]
    public void Llama_cpp_tokenizes_as_dlm(string family, string withSpecials)
    {
        var folder = TinyModels.Create(family, _root);
        var gguf = Path.Combine(_root, family + ".gguf");
        GgufExporter.Export(folder, null, GgmlType.F16, gguf);
        var dlm = Tokenizer.FromPath(folder);
        using var cpp = new LlamaCpp(gguf);
        foreach (var text in Texts.Append(withSpecials))
        {
            Assert.Equal(dlm.Encode(text), cpp.Tokenize(text, addSpecial: false));
            Assert.Equal(dlm.Encode(text, addSpecialTokens: true), cpp.Tokenize(text, addSpecial: true));
        }
    }
}
