using Dlm.Core;
using Dlm.TestSupport;

namespace Dlm.Chat.Tests;

public class RegistryTests
{
    [Fact]
    public void Every_name_creates_its_renderer()
    {
        var tok = CharTokenizer.WithAllLayoutTokens();
        Assert.Equal(
            ["chatml", "deepseekv3", "deepseekv3_disable_thinking", "llama3", "niels", "qwen3", "qwen3_disable_thinking", "qwen3_instruct", "role_colon"],
            RendererRegistry.Names);
        foreach (var name in RendererRegistry.Names) Assert.Equal(name, RendererRegistry.Create(name, tok).Name);
        var e = Assert.Throws<DlmException>(() => RendererRegistry.Create("llama2", tok));
        Assert.Contains("llama3", e.Message);
    }

    [Theory]
    [InlineData("meta-llama/Llama-3.2-1B-Instruct", "llama3")]
    [InlineData("meta-llama/Llama-3.1-8B", "role_colon")]
    [InlineData("Qwen/Qwen3-8B", "qwen3")]
    [InlineData("Qwen/Qwen3-8B-Base", "role_colon")]
    [InlineData("Qwen/Qwen3-4B-Instruct-2507", "qwen3_instruct")]
    [InlineData("hf:Qwen/Qwen2.5-0.5B-Instruct", "chatml")]
    [InlineData("HuggingFaceTB/SmolLM2-135M-Instruct", "chatml")]
    [InlineData("HuggingFaceTB/SmolLM2-135M", "role_colon")]
    [InlineData("deepseek-ai/DeepSeek-V3.1", "deepseekv3")]
    [InlineData("deepseek-ai/DeepSeek-V3.1-Base", "role_colon")]
    [InlineData("qwen3-1.7b", "qwen3")]
    [InlineData("smollm2-135m", "chatml")]
    [InlineData("llama-3.2-1b", "llama3")]
    public void Recommends_by_model_name(string model, string renderer) =>
        Assert.Equal(renderer, RendererRegistry.RecommendFor(model));

    [Fact]
    public void Unknown_model_name_defers_to_the_tokenizer() => Assert.Null(RendererRegistry.RecommendFor("someone/something"));

    [Theory]
    [InlineData("llama3", "llama3")]
    [InlineData("qwen3", "qwen3")]
    [InlineData("deepseek_v3", "deepseekv3")]
    public void Recommends_from_the_real_chat_templates(string model, string renderer) =>
        Assert.Equal(renderer, RendererRegistry.RecommendFor(CharTokenizer.FromModelFolder(ReferenceData.TokenizerFolder(model))));

    [Fact]
    public void A_tokenizer_without_template_is_a_base_model_unless_it_has_the_niels_tokens()
    {
        Assert.Equal("role_colon", RendererRegistry.RecommendFor(new CharTokenizer(new Dictionary<string, int> { ["<s>"] = 1 })));
        Assert.Equal("niels", RendererRegistry.RecommendFor(CharTokenizer.WithAllLayoutTokens()));
        Assert.Equal("chatml", RendererRegistry.RecommendFor(new CharTokenizer(new Dictionary<string, int>(), chatTemplate: "{{'<|im_start|>' + m }}")));
        Assert.Equal("llama3", RendererRegistry.RecommendFor("someone/something", CharTokenizer.FromModelFolder(ReferenceData.TokenizerFolder("llama3"))));
    }
}
