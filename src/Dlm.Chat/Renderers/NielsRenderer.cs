using Dlm.Core;
using Dlm.Tokenizers;

namespace Dlm.Chat.Renderers;

/// <summary>
/// <c>niels</c>: the layout of the niels-gpt models (REFERENCE.md R1): each message is its role
/// token, its content, then the end-of-turn token; a generation prompt ends with a bare assistant
/// token. No BOS, no separators. The role and end-of-turn tokens must be single tokens of the
/// tokenizer (added as special tokens when it was trained).
/// </summary>
public sealed class NielsRenderer : Renderer
{
    /// <summary>A renderer using <paramref name="tokens"/> (the defaults of <see cref="NielsTokens"/> when null).</summary>
    public NielsRenderer(ITokenizer tokenizer, NielsTokens? tokens = null) : base(tokenizer) => Tokens = tokens ?? new NielsTokens();

    /// <summary>The role and end-of-turn token strings.</summary>
    public NielsTokens Tokens { get; }

    /// <inheritdoc/>
    public override string Name => "niels";

    /// <inheritdoc/>
    public override RenderedMessage RenderMessage(int index, Message message, bool isLast = false)
    {
        RefuseUnsupported(message);
        string roleToken = message.Role switch
        {
            Roles.System => Tokens.System,
            Roles.User => Tokens.User,
            Roles.Assistant => Tokens.Assistant,
            _ => throw new DlmException($"renderer {Name} cannot render a '{message.Role}' message (roles: system, user, assistant)"),
        };
        int[] content = [.. Tokenizer.Encode(message.Content, addSpecialTokens: false), SingleToken(Tokens.EndOfTurn)];
        return new RenderedMessage(new EncodedTextChunk([SingleToken(roleToken)]), [new EncodedTextChunk(content)]);
    }

    /// <inheritdoc/>
    public override StopSequences GetStopSequences() => StopSequences.OfTokens(SingleToken(Tokens.EndOfTurn));

    /// <inheritdoc/>
    public override ParsedResponse ParseResponse(ReadOnlySpan<int> response) => ParseForStopToken(response, SingleToken(Tokens.EndOfTurn));
}

/// <summary>The special token strings of the <c>niels</c> layout.</summary>
/// <param name="System">Opens a system message.</param>
/// <param name="User">Opens a user message.</param>
/// <param name="Assistant">Opens an assistant message (and ends a generation prompt).</param>
/// <param name="EndOfTurn">Ends every message; the stop token.</param>
public sealed record NielsTokens(
    string System = "<|system|>", string User = "<|user|>", string Assistant = "<|assistant|>", string EndOfTurn = "<|eot|>")
{
    /// <summary>The sentinel in every niels-gpt special token.</summary>
    public const string NielsGptSentinel = "84a5023f67d74cf29cc4001becde983c";

    /// <summary>niels-gpt's own strings (REFERENCE.md R1): <c>&lt;|ngpt_sys_…|&gt;</c>, <c>usr</c>, <c>asst</c>, <c>eot</c>.</summary>
    public static NielsTokens NielsGpt { get; } = new(
        $"<|ngpt_sys_{NielsGptSentinel}|>", $"<|ngpt_usr_{NielsGptSentinel}|>", $"<|ngpt_asst_{NielsGptSentinel}|>", $"<|ngpt_eot_{NielsGptSentinel}|>");

    /// <summary>True when all four tokens are single tokens of <paramref name="tokenizer"/>.</summary>
    public bool AllIn(ITokenizer tokenizer)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        return new[] { System, User, Assistant, EndOfTurn }.All(t => tokenizer.TokenToId(t) is not null);
    }

    /// <summary>The token set <paramref name="tokenizer"/> holds: the short defaults, else niels-gpt's, else the defaults (which then fail when used).</summary>
    public static NielsTokens For(ITokenizer tokenizer)
    {
        var short_ = new NielsTokens();
        return short_.AllIn(tokenizer) ? short_ : NielsGpt.AllIn(tokenizer) ? NielsGpt : short_;
    }
}
