using Dlm.Tokenizers;

namespace Dlm.Chat.Renderers;

/// <summary>
/// <c>chatml</c>: the <c>&lt;|im_start|&gt;</c> layout of SmolLM2 and Qwen2.5 instruct models.
/// <code>
/// &lt;|im_start|&gt;system\nBe brief.&lt;|im_end|&gt;\n&lt;|im_start|&gt;user\nHi&lt;|im_end|&gt;\n&lt;|im_start|&gt;assistant\n
/// </code>
/// As in <see cref="Qwen3Renderer"/> the newline after <c>&lt;|im_end|&gt;</c> opens the next header,
/// so an answer ends on its stop token. Those templates insert a default system prompt when a
/// conversation has none; pass it as <see cref="DefaultSystemPrompt"/> to do the same.
/// </summary>
public sealed class ChatMLRenderer(ITokenizer tokenizer) : Renderer(tokenizer)
{
    /// <summary>A system message put first when the conversation does not start with one (none by default).</summary>
    public string? DefaultSystemPrompt { get; init; }

    /// <inheritdoc/>
    public override string Name => "chatml";

    private int EndOfTurn => SingleToken("<|im_end|>");

    /// <inheritdoc/>
    public override RenderedMessage RenderMessage(int index, Message message, bool isLast = false)
    {
        RefuseUnsupported(message);
        var header = $"{(index > 0 ? "\n" : "")}<|im_start|>{message.Role}\n";
        return new RenderedMessage(Encode(header), [Encode(message.Content + "<|im_end|>")]);
    }

    /// <inheritdoc/>
    public override ModelInput BuildGenerationPrompt(IReadOnlyList<Message> messages, string role = Roles.Assistant, string? prefill = null) =>
        base.BuildGenerationPrompt(WithDefaultSystem(messages), role, prefill);

    /// <inheritdoc/>
    public override SupervisedExample BuildSupervisedExample(IReadOnlyList<Message> messages, TrainOnWhat trainOnWhat = TrainOnWhat.LastAssistantMessage) =>
        base.BuildSupervisedExample(WithDefaultSystem(messages, trainOnWhat), trainOnWhat);

    private IReadOnlyList<Message> WithDefaultSystem(IReadOnlyList<Message> messages, TrainOnWhat? mode = null)
    {
        ArgumentNullException.ThrowIfNull(messages);
        if (DefaultSystemPrompt is null || (messages.Count > 0 && messages[0].Role == Roles.System)) return messages;
        // Under `customized` every message needs a trainable flag; the inserted prompt is never trained.
        var system = Message.System(DefaultSystemPrompt) with { Trainable = mode == TrainOnWhat.Customized ? false : null };
        return [system, .. messages];
    }

    /// <inheritdoc/>
    public override StopSequences GetStopSequences() => StopSequences.OfTokens(EndOfTurn);

    /// <inheritdoc/>
    public override ParsedResponse ParseResponse(ReadOnlySpan<int> response) => ParseForStopToken(response, EndOfTurn);
}
