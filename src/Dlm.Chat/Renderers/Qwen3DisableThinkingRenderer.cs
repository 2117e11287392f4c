using Dlm.Tokenizers;

namespace Dlm.Chat.Renderers;

/// <summary>
/// <c>qwen3_disable_thinking</c>: Qwen3 hybrid models answering without reasoning, as the
/// template does with <c>enable_thinking=false</c>: every assistant message without
/// <c>&lt;think&gt;</c> gets an empty <c>&lt;think&gt;\n\n&lt;/think&gt;\n\n</c> block, and so does the prefill.
/// </summary>
public sealed class Qwen3DisableThinkingRenderer(ITokenizer tokenizer) : Qwen3Renderer(tokenizer)
{
    /// <summary>The empty reasoning block.</summary>
    public const string EmptyThinking = "<think>\n\n</think>\n\n";

    /// <inheritdoc/>
    public override string Name => "qwen3_disable_thinking";

    /// <inheritdoc/>
    public override RenderedMessage RenderMessage(int index, Message message, bool isLast = false)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (message.Role == Roles.Assistant && !message.Content.Contains("<think>", StringComparison.Ordinal))
            message = message with { Content = EmptyThinking + message.Content };
        return base.RenderMessage(index, message, isLast);
    }

    /// <inheritdoc/>
    public override ModelInput BuildGenerationPrompt(IReadOnlyList<Message> messages, string role = Roles.Assistant, string? prefill = null) =>
        base.BuildGenerationPrompt(messages, role, EmptyThinking + (prefill ?? ""));
}
