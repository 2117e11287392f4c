using Dlm.Chat.Ollama;
using Dlm.Chat.Renderers;
using Dlm.Core;
using Dlm.TestSupport;
using Dlm.Tokenizers;

namespace Dlm.Chat.Tests;

/// <summary>Ollama templates lay a conversation out exactly as the dlm renderer does (text for text), and the Modelfile says so.</summary>
public class OllamaModelfileTests
{
    private static readonly Message[] Conversation =
    [
        Message.System("Be brief."), Message.User("What is 2+2?"), Message.Assistant("4."), Message.User("And 3+3?\nThink."),
    ];

    public static TheoryData<string, string> Cases() => new()
    {
        { "chatml", "qwen3" },
        { "llama3", "llama3" },
        { "role_colon", "qwen3" },
        { "niels", "niels" },
    };

    private static Tokenizer TokenizerFor(string name) =>
        name == "niels" ? Tokenizer.FromPath(Path.Combine(RepoPaths.Root, "data", "tokenizer")) : RealTokenizers.Get(name);

    [Theory]
    [MemberData(nameof(Cases))]
    public void Template_renders_what_the_renderer_renders(string rendererName, string tokenizerName)
    {
        var tokenizer = TokenizerFor(tokenizerName);
        var renderer = RendererRegistry.Create(rendererName, tokenizer);
        var messages = Conversation;
        var want = tokenizer.Decode(renderer.BuildGenerationPrompt(messages).ToInts());
        string? bos = rendererName == "llama3" ? "<|begin_of_text|>" : null;
        var template = OllamaModelfile.Template(rendererName, bos);
        var got = GoTemplate.Render(template, new Dictionary<string, string>(),
            [.. messages.Select(m => (IReadOnlyDictionary<string, string>)new Dictionary<string, string> { ["Role"] = m.Role, ["Content"] = m.Content })]);
        Assert.Equal(want, got);
    }

    [Fact]
    public void Modelfile_has_from_template_stops_and_system()
    {
        var tokenizer = RealTokenizers.Get("qwen3");
        var renderer = RendererRegistry.Create("chatml", tokenizer);
        var stops = OllamaModelfile.Stops(renderer, tokenizer);
        Assert.Equal(["<|im_end|>"], stops);
        var text = OllamaModelfile.Build("model.gguf", OllamaModelfile.Template("chatml"), stops, "Be brief.");
        Assert.Equal(
            "FROM ./model.gguf\n" +
            "TEMPLATE \"\"\"{{- range .Messages }}<|im_start|>{{ .Role }}\n{{ .Content }}<|im_end|>\n{{ end }}<|im_start|>assistant\n\"\"\"\n" +
            "PARAMETER stop \"<|im_end|>\"\n" +
            "SYSTEM \"\"\"Be brief.\"\"\"\n", text);
        var rc = OllamaModelfile.Stops(RendererRegistry.Create("role_colon", tokenizer), tokenizer);
        Assert.Equal(["\n\nUser:"], rc);
        Assert.Contains("PARAMETER stop \"\"\"\n\nUser:\"\"\"\n", OllamaModelfile.Build("m.gguf", OllamaModelfile.Template("role_colon"), rc, null));
    }

    [Fact]
    public void Niels_template_uses_the_tokens_the_model_was_trained_with()
    {
        // A model trained before dlm took niels-gpt's tokens holds only the short ones.
        var template = OllamaModelfile.Template("niels", niels: NielsTokens.ShortForm);
        var got = GoTemplate.Render(template, new Dictionary<string, string>(),
            [.. Conversation.Take(3).Select(m => (IReadOnlyDictionary<string, string>)new Dictionary<string, string> { ["Role"] = m.Role, ["Content"] = m.Content })]);
        Assert.Equal("<|system|>Be brief.<|eot|><|user|>What is 2+2?<|eot|><|assistant|>4.<|eot|><|assistant|>", got);
        Assert.Contains(NielsTokens.DefaultUser, OllamaModelfile.Template("niels"));
    }

    [Fact]
    public void Renderers_without_a_template_are_refused_by_name()
    {
        var e = Assert.Throws<DlmException>(() => OllamaModelfile.Template("qwen3"));
        Assert.Contains("renderer qwen3 has no Ollama template", e.Message);
    }
}
