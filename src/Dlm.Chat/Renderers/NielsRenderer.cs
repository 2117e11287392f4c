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

/// <summary>
/// The special token strings of the <c>niels</c> layout. The defaults are niels-gpt's own
/// (REFERENCE.md R1: <c>&lt;|ngpt_sys_84a5…|&gt;</c>, <c>usr</c>, <c>asst</c>, <c>eot</c>, ids 3..6 of
/// its tokenizer), so a model trained by niels-gpt or by dlm's from-scratch pipeline renders alike.
/// </summary>
/// <param name="System">Opens a system message.</param>
/// <param name="User">Opens a user message.</param>
/// <param name="Assistant">Opens an assistant message (and ends a generation prompt).</param>
/// <param name="EndOfTurn">Ends every message; the stop token.</param>
public sealed record NielsTokens(
    string System = NielsTokens.DefaultSystem, string User = NielsTokens.DefaultUser,
    string Assistant = NielsTokens.DefaultAssistant, string EndOfTurn = NielsTokens.DefaultEndOfTurn)
{
    /// <summary>The sentinel in every niels-gpt special token.</summary>
    public const string Sentinel = "84a5023f67d74cf29cc4001becde983c";

    /// <summary>niels-gpt's system token.</summary>
    public const string DefaultSystem = "<|ngpt_sys_" + Sentinel + "|>";

    /// <summary>niels-gpt's user token.</summary>
    public const string DefaultUser = "<|ngpt_usr_" + Sentinel + "|>";

    /// <summary>niels-gpt's assistant token.</summary>
    public const string DefaultAssistant = "<|ngpt_asst_" + Sentinel + "|>";

    /// <summary>niels-gpt's end-of-turn token.</summary>
    public const string DefaultEndOfTurn = "<|ngpt_eot_" + Sentinel + "|>";

    /// <summary>
    /// The ids niels-gpt gives the four tokens (after <c>&lt;unk&gt;</c>, <c>&lt;s&gt;</c>, <c>&lt;/s&gt;</c>
    /// at 0..2); dlm's trained tokenizers keep the same layout (<see cref="TokenizerSpecials"/>).
    /// </summary>
    public const int FirstId = 3;

    /// <summary>
    /// The special tokens of a niels tokenizer in id order: <c>&lt;unk&gt;</c>, <c>&lt;s&gt;</c>,
    /// <c>&lt;/s&gt;</c>, then system, user, assistant, end of turn (ids 0..6, as niels-gpt's
    /// SentencePiece model).
    /// </summary>
    public static IReadOnlyList<string> TokenizerSpecials { get; } =
        ["<unk>", "<s>", "</s>", DefaultSystem, DefaultUser, DefaultAssistant, DefaultEndOfTurn];

    /// <summary>The four tokens in the order system, user, assistant, end of turn.</summary>
    public IReadOnlyList<string> All => [System, User, Assistant, EndOfTurn];

    /// <summary>The sentinel in every niels-gpt special token (the name the from-scratch code uses).</summary>
    public const string NielsGptSentinel = Sentinel;

    /// <summary>niels-gpt's own strings (REFERENCE.md R1), the defaults: <c>&lt;|ngpt_sys_…|&gt;</c>, <c>usr</c>, <c>asst</c>, <c>eot</c>.</summary>
    public static NielsTokens NielsGpt { get; } = new();

    /// <summary>
    /// The short strings <c>&lt;|system|&gt;</c>, <c>&lt;|user|&gt;</c>, <c>&lt;|assistant|&gt;</c>,
    /// <c>&lt;|eot|&gt;</c> that dlm used before it took niels-gpt's; models trained with them still render.
    /// </summary>
    public static NielsTokens ShortForm { get; } = new("<|system|>", "<|user|>", "<|assistant|>", "<|eot|>");

    /// <summary>True when all four tokens are single tokens of <paramref name="tokenizer"/>.</summary>
    public bool AllIn(ITokenizer tokenizer)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        return All.All(t => tokenizer.TokenToId(t) is not null);
    }

    /// <summary>The token set <paramref name="tokenizer"/> holds: niels-gpt's, else the short ones, else niels-gpt's (which then fail when used).</summary>
    public static NielsTokens For(ITokenizer tokenizer) =>
        NielsGpt.AllIn(tokenizer) ? NielsGpt : ShortForm.AllIn(tokenizer) ? ShortForm : NielsGpt;
}
