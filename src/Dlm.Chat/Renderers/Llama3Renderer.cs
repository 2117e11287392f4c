using Dlm.Tokenizers;

namespace Dlm.Chat.Renderers;

/// <summary>
/// <c>llama3</c>: the Llama 3 instruct layout.
/// <code>
/// &lt;|begin_of_text|&gt;&lt;|start_header_id|&gt;user&lt;|end_header_id|&gt;\n\nHello&lt;|eot_id|&gt;&lt;|start_header_id|&gt;assistant&lt;|end_header_id|&gt;\n\n
/// </code>
/// The <c>&lt;|eot_id|&gt;</c> belongs to the content, so it is trained with the answer; it is
/// also the stop token. Content is not trimmed (the Llama 3 template trims; keep data clean).
/// </summary>
public sealed class Llama3Renderer(ITokenizer tokenizer) : Renderer(tokenizer)
{
    /// <inheritdoc/>
    public override string Name => "llama3";

    /// <inheritdoc/>
    protected override int[] BosTokens => [SingleToken("<|begin_of_text|>")];

    private int EndOfTurn => SingleToken("<|eot_id|>");

    /// <inheritdoc/>
    public override RenderedMessage RenderMessage(int index, Message message, bool isLast = false)
    {
        RefuseUnsupported(message);
        var prefix = Encode($"<|start_header_id|>{message.Role}<|end_header_id|>\n\n");
        var content = Encode(message.Content + "<|eot_id|>");
        return new RenderedMessage(prefix, [content]);
    }

    /// <inheritdoc/>
    public override StopSequences GetStopSequences() => StopSequences.OfTokens(EndOfTurn);

    /// <inheritdoc/>
    public override ParsedResponse ParseResponse(ReadOnlySpan<int> response) => ParseForStopToken(response, EndOfTurn);
}
