using Dlm.Tokenizers;

namespace Dlm.Chat.Renderers;

/// <summary>
/// <c>deepseekv3_disable_thinking</c>: DeepSeek V3.1 in non-thinking mode: an assistant message
/// that starts with neither <c>&lt;think&gt;</c> nor <c>&lt;/think&gt;</c> gets <c>&lt;/think&gt;</c>
/// in front, and so does the prefill of a generation prompt.
/// </summary>
public sealed class DeepSeekV3DisableThinkingRenderer(ITokenizer tokenizer) : DeepSeekV3Renderer(tokenizer)
{
    /// <inheritdoc/>
    public override string Name => "deepseekv3_disable_thinking";

    /// <inheritdoc/>
    public override RenderedMessage RenderMessage(int index, Message message, bool isLast = false)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (message.Role == Roles.Assistant
            && !message.Content.StartsWith("<think>", StringComparison.Ordinal)
            && !message.Content.StartsWith("</think>", StringComparison.Ordinal))
            message = message with { Content = "</think>" + message.Content };
        return base.RenderMessage(index, message, isLast);
    }

    /// <inheritdoc/>
    public override ModelInput BuildGenerationPrompt(IReadOnlyList<Message> messages, string role = Roles.Assistant, string? prefill = null) =>
        base.BuildGenerationPrompt(messages, role, "</think>" + (prefill ?? ""));
}
