using Dlm.Core;
using Dlm.Tokenizers;

namespace Dlm.Chat.Renderers;

/// <summary>
/// <c>deepseekv3</c>: DeepSeek V3, no separators between turns.
/// <code>
/// &lt;｜begin▁of▁sentence｜&gt;&lt;｜User｜&gt;Hello&lt;｜Assistant｜&gt;Hi&lt;｜end▁of▁sentence｜&gt;
/// </code>
/// BOS and the User / Assistant markers are single special tokens (the header); only assistant
/// content ends with the end-of-sentence token, which is also the stop token. A system message is
/// an error unless <see cref="SystemRoleAsUser"/> renders it as a user turn.
/// </summary>
public class DeepSeekV3Renderer(ITokenizer tokenizer) : Renderer(tokenizer)
{
    // U+FF5C FULLWIDTH VERTICAL LINE and U+2581 LOWER ONE EIGHTH BLOCK, as the vocabulary spells them.
    private static string Special(string name) => $"<\uFF5C{name}\uFF5C>";

    /// <summary>Render system messages as user turns instead of refusing them.</summary>
    public bool SystemRoleAsUser { get; init; }

    /// <inheritdoc/>
    public override string Name => "deepseekv3";

    /// <inheritdoc/>
    protected override int[] BosTokens => [SingleToken(Special("begin\u2581of\u2581sentence"))];

    private int EndOfSentence => SingleToken(Special("end\u2581of\u2581sentence"));

    /// <inheritdoc/>
    public override RenderedMessage RenderMessage(int index, Message message, bool isLast = false)
    {
        RefuseUnsupported(message);
        int roleToken = message.Role switch
        {
            Roles.User => SingleToken(Special("User")),
            Roles.System when SystemRoleAsUser => SingleToken(Special("User")),
            Roles.Assistant => SingleToken(Special("Assistant")),
            _ => throw new DlmException(
                $"renderer {Name} cannot render a '{message.Role}' message (system messages need the system-as-user option)"),
        };
        var content = Tokenizer.Encode(message.Content, addSpecialTokens: false);
        if (message.Role == Roles.Assistant) content = [.. content, EndOfSentence];
        return new RenderedMessage(new EncodedTextChunk([roleToken]), [new EncodedTextChunk(content)]);
    }

    /// <inheritdoc/>
    public override StopSequences GetStopSequences() => StopSequences.OfTokens(EndOfSentence);

    /// <inheritdoc/>
    public override ParsedResponse ParseResponse(ReadOnlySpan<int> response) => ParseForStopToken(response, EndOfSentence);
}
