using Dlm.Chat.Renderers;
using Dlm.Core;
using Dlm.Tokenizers;

namespace Dlm.Chat;

/// <summary>
/// Renderers by name (tinker-cookbook <c>get_renderer</c>), and the renderer a model should use
/// (<c>get_recommended_renderer_name</c>): chat models get their template's layout, base models
/// (no chat template) get <c>role_colon</c>.
/// </summary>
public static class RendererRegistry
{
    private static readonly Dictionary<string, Func<ITokenizer, IRenderer>> Factories = new(StringComparer.Ordinal)
    {
        ["role_colon"] = t => new RoleColonRenderer(t),
        ["llama3"] = t => new Llama3Renderer(t),
        ["qwen3"] = t => new Qwen3Renderer(t),
        ["qwen3_disable_thinking"] = t => new Qwen3DisableThinkingRenderer(t),
        ["qwen3_instruct"] = t => new Qwen3InstructRenderer(t),
        ["deepseekv3"] = t => new DeepSeekV3Renderer(t),
        ["deepseekv3_disable_thinking"] = t => new DeepSeekV3DisableThinkingRenderer(t),
        ["chatml"] = t => new ChatMLRenderer(t),
        ["niels"] = t => new NielsRenderer(t, NielsTokens.For(t)),
    };

    /// <summary>Every renderer name, sorted.</summary>
    public static IReadOnlyList<string> Names { get; } = Factories.Keys.Order(StringComparer.Ordinal).ToArray();

    /// <summary>The renderer called <paramref name="name"/>; an unknown name is a user error listing the known ones.</summary>
    public static IRenderer Create(string name, ITokenizer tokenizer)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        return Factories.TryGetValue(name, out var make)
            ? make(tokenizer)
            : throw new DlmException($"unknown renderer '{name}': expected one of {string.Join(", ", Names)}");
    }

    // dlm base registry keys (REFERENCE.md R2, Dlm.Hub's BaseRegistry) -> renderer: every key, a test in
    // Dlm.Documents.Tests checks they agree with the registry's own renderer names.
    private static readonly Dictionary<string, string> RegistryKeys = new(StringComparer.OrdinalIgnoreCase)
    {
        ["smollm2-135m"] = "chatml",
        ["smollm2-360m"] = "chatml",
        ["smollm2-1.7b"] = "chatml",
        ["qwen2.5-0.5b"] = "chatml",
        ["qwen2.5-1.5b"] = "chatml",
        ["qwen2.5-3b"] = "chatml",
        ["qwen2.5-coder-1.5b"] = "chatml",
        ["qwen3-1.7b"] = "qwen3",
        ["qwen3-4b"] = "qwen3",
        ["qwen3-8b"] = "qwen3",
        ["llama-3.2-1b"] = "llama3",
        ["llama-3.2-3b"] = "llama3",
    };

    // tinker-cookbook model_info: Hugging Face model names known to be base (not chat) models.
    private static readonly HashSet<string> UpstreamBaseModels = new(StringComparer.OrdinalIgnoreCase)
    {
        "meta-llama/Llama-3.2-1B", "meta-llama/Llama-3.2-3B", "meta-llama/Llama-3.1-8B", "meta-llama/Llama-3.1-70B",
        "Qwen/Qwen3-4B-Base", "Qwen/Qwen3-8B-Base", "Qwen/Qwen3-14B-Base", "Qwen/Qwen3-30B-A3B-Base",
        "deepseek-ai/DeepSeek-V3.1-Base",
    };

    /// <summary>
    /// The recommended renderer for a model named by a dlm registry key (<c>qwen3-1.7b</c>) or a
    /// Hugging Face id (<c>Qwen/Qwen3-8B</c>, also as <c>hf:Qwen/Qwen3-8B</c>), following
    /// tinker-cookbook's model table: base models get <c>role_colon</c>, Llama 3 chat models
    /// <c>llama3</c>, Qwen3 <c>qwen3</c> (<c>qwen3_instruct</c> for <c>-Instruct</c> 2507 models),
    /// DeepSeek V3 <c>deepseekv3</c>; SmolLM2 and Qwen2.5 instruct models <c>chatml</c>.
    /// Null when the name says nothing (then ask the tokenizer: <see cref="RecommendFor(ITokenizer)"/>).
    /// </summary>
    public static string? RecommendFor(string model)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (RegistryKeys.TryGetValue(model, out var byKey)) return byKey;
        var id = model.StartsWith("hf:", StringComparison.Ordinal) ? model[3..] : model;
        id = id.Split(':')[0];
        if (UpstreamBaseModels.Contains(id)) return "role_colon";
        int slash = id.IndexOf('/', StringComparison.Ordinal);
        if (slash < 0) return null;
        string org = id[..slash], name = id[(slash + 1)..];
        bool instruct = name.Contains("-Instruct", StringComparison.OrdinalIgnoreCase);
        bool chat = instruct || name.Contains("-Chat", StringComparison.OrdinalIgnoreCase);
        return org.ToUpperInvariant() switch
        {
            "META-LLAMA" when name.StartsWith("Llama-3", StringComparison.OrdinalIgnoreCase) => chat ? "llama3" : "role_colon",
            "QWEN" when name.StartsWith("Qwen3-", StringComparison.OrdinalIgnoreCase) =>
                name.EndsWith("-Base", StringComparison.OrdinalIgnoreCase) ? "role_colon" : instruct ? "qwen3_instruct" : "qwen3",
            "QWEN" when name.StartsWith("Qwen2.5-", StringComparison.OrdinalIgnoreCase) => instruct ? "chatml" : "role_colon",
            "DEEPSEEK-AI" when name.StartsWith("DeepSeek-V3", StringComparison.OrdinalIgnoreCase) =>
                name.EndsWith("-Base", StringComparison.OrdinalIgnoreCase) ? "role_colon" : "deepseekv3",
            "HUGGINGFACETB" when name.StartsWith("SmolLM2-", StringComparison.OrdinalIgnoreCase) => instruct ? "chatml" : "role_colon",
            _ => null,
        };
    }

    /// <summary>
    /// The renderer that matches a tokenizer's chat template (from <c>tokenizer_config.json</c>):
    /// none gives <c>role_colon</c> (a base model), or <c>niels</c> when the tokenizer holds the
    /// niels role tokens (niels-gpt's, or dlm's older short ones); otherwise the template's markers
    /// decide (a template naming the niels assistant token means <c>niels</c>).
    /// </summary>
    public static string RecommendFor(ITokenizer tokenizer)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        var template = tokenizer.ChatTemplate;
        bool hasNiels = NielsTokens.NielsGpt.AllIn(tokenizer) || NielsTokens.ShortForm.AllIn(tokenizer);
        if (string.IsNullOrEmpty(template)) return hasNiels ? "niels" : "role_colon";
        // The template dlm writes for niels models names the role tokens themselves.
        if (hasNiels && template.Contains(NielsTokens.For(tokenizer).Assistant, StringComparison.Ordinal)) return "niels";
        if (template.Contains("<|start_header_id|>", StringComparison.Ordinal)) return "llama3";
        if (template.Contains("<\uFF5CAssistant\uFF5C>", StringComparison.Ordinal)) return "deepseekv3";
        if (template.Contains("<|im_start|>", StringComparison.Ordinal))
            return template.Contains("enable_thinking", StringComparison.Ordinal) ? "qwen3"
                : template.Contains("<think>", StringComparison.Ordinal) ? "qwen3_instruct"
                : "chatml";
        return "role_colon";
    }

    /// <summary>The model's name when it is known (<see cref="RecommendFor(string)"/>), else its tokenizer's template.</summary>
    public static string RecommendFor(string? model, ITokenizer tokenizer) =>
        (model is null ? null : RecommendFor(model)) ?? RecommendFor(tokenizer);
}
