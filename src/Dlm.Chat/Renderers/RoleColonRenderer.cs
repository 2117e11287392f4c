using Dlm.Core;
using Dlm.Tokenizers;

namespace Dlm.Chat.Renderers;

/// <summary>
/// <c>role_colon</c>: the plain layout for base models without a chat template.
/// <code>
/// User: What is 2+2?
///
/// Assistant: 4
///
/// User:
/// </code>
/// Header <c>{Role}:</c> (capitalized), content <c>" {text}\n\n"</c>; after a last assistant
/// message the suffix <c>User:</c> teaches the model to hand the turn back. Upstream also appends
/// the text <c>&lt;UNUSED&gt;</c> after a last non-assistant message; we append nothing there.
/// </summary>
public sealed class RoleColonRenderer(ITokenizer tokenizer) : Renderer(tokenizer)
{
    /// <summary>The stop string: the start of the next user turn.</summary>
    public const string StopString = "\n\nUser:";

    /// <inheritdoc/>
    public override string Name => "role_colon";

    /// <summary>The tokenizer's own BOS when it has one (base models are trained after it).</summary>
    protected override int[] BosTokens =>
        Tokenizer.BosToken is { Length: > 0 } bos ? Tokenizer.Encode(bos, addSpecialTokens: false) : [];

    /// <inheritdoc/>
    public override RenderedMessage RenderMessage(int index, Message message, bool isLast = false)
    {
        RefuseUnsupported(message);
        var prefix = Encode(Capitalize(message.Role) + ":");
        var content = Encode(" " + message.Content + "\n\n");
        var suffix = message.Role == Roles.Assistant ? Encode("User:") : null;
        return new RenderedMessage(prefix, [content], suffix);
    }

    /// <inheritdoc/>
    public override StopSequences GetStopSequences() => StopSequences.OfStrings(StopString);

    /// <inheritdoc/>
    public override ParsedResponse ParseResponse(ReadOnlySpan<int> response)
    {
        var text = Tokenizer.Decode(response);
        var pieces = text.Split(StopString);
        return pieces.Length switch
        {
            1 => new ParsedResponse(Message.Assistant(text.Trim()), false),
            2 => new ParsedResponse(Message.Assistant(pieces[0].Trim()), true),
            _ => throw new DlmException(
                $"a response holds {pieces.Length - 1} stop strings, expected at most 1: the sampler was probably not given the renderer's stop sequences"),
        };
    }

    /// <summary>Python's <c>str.capitalize</c>: first character upper case, the rest lower case.</summary>
    internal static string Capitalize(string role) =>
        role.Length == 0 ? role : char.ToUpperInvariant(role[0]) + role[1..].ToLowerInvariant();
}
