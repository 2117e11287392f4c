using Dlm.Core;
using Dlm.Tokenizers;

namespace Dlm.Chat;

/// <summary>
/// The shared renderer algorithm of tinker-cookbook: a renderer only says how one message looks
/// (<see cref="RenderMessage"/>); the generation prompt and the weighted supervised example are
/// built the same way for every layout (REFERENCE.md R3).
/// </summary>
public abstract class Renderer : IRenderer
{
    /// <summary>A renderer over <paramref name="tokenizer"/>.</summary>
    protected Renderer(ITokenizer tokenizer) => Tokenizer = tokenizer ?? throw new ArgumentNullException(nameof(tokenizer));

    /// <summary>The tokenizer the text pieces are encoded with.</summary>
    public ITokenizer Tokenizer { get; }

    /// <inheritdoc/>
    public abstract string Name { get; }

    /// <summary>Tokens put before the first message (BOS), or empty.</summary>
    protected virtual int[] BosTokens => [];

    /// <summary>How message <paramref name="index"/> looks; <paramref name="isLast"/> is true only for the last message of a supervised example.</summary>
    public abstract RenderedMessage RenderMessage(int index, Message message, bool isLast = false);

    /// <inheritdoc/>
    public abstract StopSequences GetStopSequences();

    /// <inheritdoc/>
    public abstract ParsedResponse ParseResponse(ReadOnlySpan<int> response);

    /// <inheritdoc/>
    public virtual ModelInput BuildGenerationPrompt(IReadOnlyList<Message> messages, string role = Roles.Assistant, string? prefill = null)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var chunks = new List<EncodedTextChunk>();
        var bos = BosTokens;
        if (bos.Length > 0) chunks.Add(new EncodedTextChunk(bos));
        for (int i = 0; i < messages.Count; i++)
        {
            var rendered = RenderMessage(i, messages[i]);
            AddIfAny(chunks, rendered.Prefix);
            foreach (var c in rendered.Content) AddIfAny(chunks, c);
        }
        var partial = RenderMessage(messages.Count, new Message(role, ""));
        AddIfAny(chunks, partial.Prefix);
        if (!string.IsNullOrEmpty(prefill)) chunks.Add(Encode(prefill));
        return new ModelInput(chunks);
    }

    /// <inheritdoc/>
    public virtual SupervisedExample BuildSupervisedExample(IReadOnlyList<Message> messages, TrainOnWhat trainOnWhat = TrainOnWhat.LastAssistantMessage)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var chunks = new List<(EncodedTextChunk Chunk, float Weight)>();
        var bos = BosTokens;
        if (bos.Length > 0) chunks.Add((new EncodedTextChunk(bos), 0f));

        int lastUser = -1;
        for (int i = 0; i < messages.Count; i++) if (messages[i].Role == Roles.User) lastUser = i;

        for (int i = 0; i < messages.Count; i++)
        {
            var message = messages[i];
            CheckTrainable(i, message, trainOnWhat);
            bool isLast = i == messages.Count - 1;
            var rendered = RenderMessage(i, message, isLast);

            float headerWeight = trainOnWhat == TrainOnWhat.AllTokens ? 1f : 0f;
            if (rendered.Prefix is { Length: > 0 } prefix) chunks.Add((prefix, headerWeight));

            float contentWeight = ContentTrained(message, isLast, i > lastUser, trainOnWhat) ? 1f : 0f;
            foreach (var c in rendered.Content)
                if (c.Length > 0) chunks.Add((c, contentWeight));

            // The suffix is the stop marker of the last turn (e.g. "User:" after role_colon's answer).
            if (isLast && rendered.Suffix is { Length: > 0 } suffix) chunks.Add((suffix, contentWeight));
        }

        int total = 0;
        foreach (var (c, _) in chunks) total += c.Length;
        var weights = new float[total];
        int at = 0;
        foreach (var (c, w) in chunks)
        {
            weights.AsSpan(at, c.Length).Fill(w);
            at += c.Length;
        }
        return new SupervisedExample(new ModelInput(chunks.Select(c => c.Chunk)), weights);
    }

    /// <summary>Whether a message's content carries loss under <paramref name="mode"/> (R3 weight rules).</summary>
    internal static bool ContentTrained(Message message, bool isLast, bool afterLastUser, TrainOnWhat mode)
    {
        bool isAssistant = message.Role == Roles.Assistant;
        return mode switch
        {
            TrainOnWhat.LastAssistantMessage => isLast && isAssistant,
            TrainOnWhat.AllAssistantMessages => isAssistant,
            TrainOnWhat.AllMessages or TrainOnWhat.AllTokens => true,
            TrainOnWhat.AllUserAndSystemMessages => message.Role is Roles.User or Roles.System,
            TrainOnWhat.Customized => message.Trainable ?? false,
            TrainOnWhat.LastAssistantTurn => isAssistant && afterLastUser,
            _ => throw new ArgumentOutOfRangeException(nameof(mode), mode, "unknown TrainOnWhat"),
        };
    }

    private static void CheckTrainable(int index, Message message, TrainOnWhat mode)
    {
        if (mode == TrainOnWhat.Customized && message.Trainable is null)
            throw new DlmException($"message {index} ({message.Role}) has no 'trainable' field, which train_on_what=customized requires on every message");
        if (mode != TrainOnWhat.Customized && message.Trainable is not null)
            throw new DlmException($"message {index} ({message.Role}) has a 'trainable' field, which only train_on_what=customized accepts (it is {mode.ToValue()})");
    }

    /// <summary>Encodes text without adding special tokens (added tokens in the text still match).</summary>
    protected EncodedTextChunk Encode(string text) => new(Tokenizer.Encode(text, addSpecialTokens: false));

    private readonly Dictionary<string, int> _singleTokens = new(StringComparer.Ordinal);

    /// <summary>The id of a token that must encode to exactly one id (a special token of the layout).</summary>
    protected int SingleToken(string text)
    {
        lock (_singleTokens)
        {
            if (_singleTokens.TryGetValue(text, out var id)) return id;
            var ids = Tokenizer.Encode(text, addSpecialTokens: false);
            if (ids.Length != 1)
                throw new DlmException($"renderer {Name} needs '{text}' to be one token of the tokenizer, but it encodes to {ids.Length} tokens");
            return _singleTokens[text] = ids[0];
        }
    }

    /// <summary>
    /// Refuses what this layout cannot place: a separate <see cref="Message.Thinking"/> field, and
    /// tool calls unless <paramref name="toolCalls"/> says the layout renders them. Dropping them
    /// silently would train on a different conversation than the data holds.
    /// </summary>
    protected void RefuseUnsupported(Message message, bool toolCalls = false)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (message.Thinking is not null)
            throw new DlmException($"renderer {Name} does not render a separate 'thinking' field; put the reasoning in the content");
        if (!toolCalls && message.ToolCalls is { Count: > 0 })
            throw new DlmException($"renderer {Name} does not render tool calls (qwen3 does)");
    }

    /// <summary>
    /// Reads a response that must end with one <paramref name="stopToken"/>: none gives the whole
    /// decoded text and false, one gives the text before it and true, more than one is an error.
    /// </summary>
    protected ParsedResponse ParseForStopToken(ReadOnlySpan<int> response, int stopToken)
    {
        int count = 0, first = -1;
        for (int i = 0; i < response.Length; i++)
            if (response[i] == stopToken)
            {
                if (count++ == 0) first = i;
            }
        return count switch
        {
            0 => new ParsedResponse(Message.Assistant(Tokenizer.Decode(response)), false),
            1 => new ParsedResponse(Message.Assistant(Tokenizer.Decode(response[..first])), true),
            _ => throw new DlmException(
                $"a response holds {count} stop tokens, expected at most 1: the sampler was probably not given the renderer's stop sequences"),
        };
    }

    private static void AddIfAny(List<EncodedTextChunk> chunks, EncodedTextChunk? chunk)
    {
        if (chunk is { Length: > 0 }) chunks.Add(chunk);
    }
}
