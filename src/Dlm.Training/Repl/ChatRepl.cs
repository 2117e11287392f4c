using System.Globalization;
using Dlm.Chat;
using Dlm.Core;
using Dlm.Models.Generation;
using Dlm.Tokenizers;

namespace Dlm.Training.Repl;

/// <summary>What a <see cref="ChatRepl"/> talks to, and how to switch its adapter.</summary>
/// <param name="Client">The sampling client (the repl disposes it, and any it switches to).</param>
/// <param name="Description">One line naming the model and adapter, for <c>/model</c> and the banner.</param>
/// <param name="Adapter">The adapter loaded, as the user names it (a version, a folder), or null.</param>
public sealed record ReplModel(SamplingClient Client, string Description, string? Adapter);

/// <summary>
/// The chat REPL of <c>dlm chat</c> and <c>dlm repl</c> (one loop for both): each input line is a
/// user turn; the whole conversation (within the context: the oldest turns are dropped, and the
/// user is told) is rendered with the renderer and the reply streamed as it is sampled. Lines
/// starting with <c>/</c> are commands: <c>/exit</c> <c>/quit</c> <c>/clear</c> <c>/system TEXT</c>
/// <c>/params [key=value ...]</c> <c>/save FILE</c> <c>/history</c> <c>/model</c> <c>/adapter [NAME]</c>
/// <c>/help</c>. Replies go to <see cref="Out"/>, notes to <see cref="Err"/>.
/// </summary>
public sealed class ChatRepl : IDisposable
{
    private readonly Func<string, ReplModel>? _switchAdapter;
    private readonly string _name;
    private ReplModel _model;
    private SamplingParams _params;
    private int _turn;

    /// <summary>Creates a repl over <paramref name="model"/>.</summary>
    /// <param name="name">The prefix of its notes (<c>dlm chat</c>, <c>dlm repl</c>).</param>
    /// <param name="model">The model to talk to.</param>
    /// <param name="tokenizer">Its tokenizer.</param>
    /// <param name="renderer">The chat layout.</param>
    /// <param name="parameters">Sampling parameters (the renderer's stop tokens already in).</param>
    /// <param name="switchAdapter">Loads another adapter for <c>/adapter NAME</c>; null when switching is not offered.</param>
    public ChatRepl(string name, ReplModel model, ITokenizer tokenizer, IRenderer renderer, SamplingParams parameters, Func<string, ReplModel>? switchAdapter = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        _name = name;
        _model = model;
        Tokenizer = tokenizer ?? throw new ArgumentNullException(nameof(tokenizer));
        Renderer = renderer ?? throw new ArgumentNullException(nameof(renderer));
        _params = parameters ?? throw new ArgumentNullException(nameof(parameters));
        _switchAdapter = switchAdapter;
    }

    /// <summary>The help line listing the commands.</summary>
    public string Help => "commands: /exit or /quit, /clear (forget the conversation), /system TEXT (set the system message), " +
        "/params [key=value ...] (show or set temperature, top_k, top_p, min_p, repetition_penalty, max_tokens, seed), /save FILE (write the conversation as JSONL), " +
        "/history (show the conversation), /model (what is loaded), " +
        (_switchAdapter is null ? "/adapter (the adapter loaded)" : "/adapter [NAME] (show, or load another adapter version)") + ", /help";

    /// <summary>The conversation so far (a leading system message included).</summary>
    public List<Message> Messages { get; } = [];

    /// <summary>The tokenizer.</summary>
    public ITokenizer Tokenizer { get; }

    /// <summary>The chat layout.</summary>
    public IRenderer Renderer { get; }

    /// <summary>The current sampling parameters.</summary>
    public SamplingParams Params => _params;

    /// <summary>Where replies go (default stdout).</summary>
    public TextWriter Out { get; init; } = Console.Out;

    /// <summary>Where notes go (default stderr).</summary>
    public TextWriter Err { get; init; } = Console.Error;

    /// <summary>Reads the user's lines until end of input or <c>/exit</c>; prompts with <c>&gt; </c> when <paramref name="interactive"/>.</summary>
    public void Run(TextReader input, bool interactive)
    {
        ArgumentNullException.ThrowIfNull(input);
        int context = _model.Client.Model.Config.ContextLength;
        if (interactive) Err.WriteLine($"{_name}: {_model.Description}, renderer {Renderer.Name}, context {context} tokens. {Help}.");
        while (true)
        {
            if (interactive) Out.Write("> ");
            var line = input.ReadLine();
            if (line is null) break;
            if (line.Length == 0) continue;
            if (line.StartsWith('/'))
            {
                if (!Command(line)) break;
                continue;
            }
            Send(line);
        }
    }

    /// <summary>Sends one user turn with the conversation and streams the reply; returns the reply (null when it was not sent).</summary>
    public string? Send(string text)
    {
        var client = _model.Client;
        int context = client.Model.Config.ContextLength;
        Messages.Add(Message.User(text));
        var fitted = ConversationWindow.Fit(Renderer, Messages, context - Math.Min(_params.MaxTokens, context / 2));
        if (fitted is null)
        {
            Messages.RemoveAt(Messages.Count - 1);
            Err.WriteLine($"{_name}: that message alone does not fit the context of {context} tokens with room for a reply; not sent");
            return null;
        }
        if (fitted.Dropped > 0)
        {
            Err.WriteLine($"{_name}: dropped the {fitted.Dropped} oldest message(s) to stay within the context of {context} tokens");
            Messages.RemoveRange(Messages.FindIndex(m => m.Role != Roles.System), fitted.Dropped);
        }
        var prompt = fitted.Prompt.ToInts();
        var turnParams = _params with
        {
            Seed = _params.Seed is { } s ? s + _turn : null,
            MaxTokens = Math.Min(_params.MaxTokens, context - prompt.Length),
        };
        _turn++;
        var stream = new StreamingText(Tokenizer, turnParams.StopStrings, skipSpecialTokens: true);
        var result = client.Sample(prompt, 1, turnParams, t =>
        {
            if (turnParams.StopTokens.Contains(t.Token)) return;
            Out.Write(stream.Push(t.Token));
            Out.Flush();
        }).Sequences[0];
        Out.WriteLine(stream.Flush());
        var parsed = Renderer.ParseResponse(result.Tokens);
        var reply = parsed.Ok ? parsed.Message.Content : stream.Text;
        Messages.Add(Message.Assistant(reply));
        if (result.StopReason == StopReason.Length) Err.WriteLine($"{_name}: the reply was cut at {result.Tokens.Length} tokens");
        return reply;
    }

    // Runs one /command; false means exit.
    private bool Command(string line)
    {
        int space = line.IndexOf(' ', StringComparison.Ordinal);
        string name = space < 0 ? line : line[..space], arg = space < 0 ? "" : line[(space + 1)..].Trim();
        switch (name)
        {
            case "/exit" or "/quit":
                return false;
            case "/clear":
                Messages.RemoveAll(m => m.Role != Roles.System);
                Err.WriteLine($"{_name}: conversation cleared");
                break;
            case "/system":
                Messages.RemoveAll(m => m.Role == Roles.System);
                if (arg.Length > 0) Messages.Insert(0, Message.System(arg));
                Err.WriteLine(arg.Length > 0 ? $"{_name}: system message set" : $"{_name}: system message removed");
                break;
            case "/params":
                try
                {
                    if (arg.Length > 0) _params = SetParams(_params, arg);
                }
                catch (DlmException e)
                {
                    Err.WriteLine($"{_name}: {e.Message}");
                }
                var p = _params;
                Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"temperature={p.Temperature} top_k={p.TopK} top_p={p.TopP} min_p={p.MinP} repetition_penalty={p.RepetitionPenalty} max_tokens={p.MaxTokens} seed={(p.Seed is { } s ? s : "none")}"));
                break;
            case "/save":
                if (arg.Length == 0) { Err.WriteLine($"{_name}: /save needs a file name"); break; }
                AtomicFile.WriteAllText(arg, ConversationJson.Serialize(Messages) + "\n");
                Err.WriteLine($"{_name}: saved {Messages.Count} message(s) to {arg}");
                break;
            case "/history":
                if (Messages.Count == 0) Out.WriteLine("(no messages)");
                foreach (var m in Messages) Out.WriteLine($"{m.Role}: {m.Content}");
                break;
            case "/model":
                Out.WriteLine($"{_model.Description}; renderer {Renderer.Name}; context {_model.Client.Model.Config.ContextLength} tokens");
                break;
            case "/adapter":
                if (arg.Length == 0 || _switchAdapter is null)
                {
                    if (arg.Length > 0) Err.WriteLine($"{_name}: this repl cannot switch adapters (pass --adapter when starting it)");
                    Out.WriteLine($"adapter: {_model.Adapter ?? "none"}");
                    break;
                }
                try
                {
                    var next = _switchAdapter(arg);
                    _model.Client.Dispose();
                    _model = next;
                    Err.WriteLine($"{_name}: loaded {next.Adapter ?? "no adapter"}; the conversation is kept");
                }
                catch (DlmException e)
                {
                    Err.WriteLine($"{_name}: {e.Message}");
                }
                break;
            case "/help":
                Out.WriteLine(Help);
                break;
            default:
                Err.WriteLine($"{_name}: unknown command {name}; {Help}");
                break;
        }
        return true;
    }

    private static SamplingParams SetParams(SamplingParams p, string arg)
    {
        var ci = CultureInfo.InvariantCulture;
        foreach (var kv in Dlm.Core.Config.KeyValueArgs.Parse(arg.Split(' ', StringSplitOptions.RemoveEmptyEntries)))
        {
            string v = kv.Value;
            float F() => float.TryParse(v, NumberStyles.Float, ci, out var f) ? f : throw new DlmException($"{kv.Key}: '{v}' is not a number");
            int I() => int.TryParse(v, NumberStyles.Integer, ci, out var i) ? i : throw new DlmException($"{kv.Key}: '{v}' is not an integer");
            p = kv.Key switch
            {
                "temperature" => p with { Temperature = F() },
                "top_k" => p with { TopK = I() },
                "top_p" => p with { TopP = F() },
                "min_p" => p with { MinP = F() },
                "repetition_penalty" => p with { RepetitionPenalty = F() },
                "max_tokens" => p with { MaxTokens = I() },
                "seed" => p with { Seed = v == "none" ? null : long.TryParse(v, NumberStyles.Integer, ci, out var s) ? s : throw new DlmException($"seed: '{v}' is not an integer") },
                _ => throw new DlmException($"unknown parameter {kv.Key}: expected temperature, top_k, top_p, min_p, repetition_penalty, max_tokens or seed"),
            };
        }
        return p.Validate();
    }

    /// <summary>Disposes the sampling client in use.</summary>
    public void Dispose() => _model.Client.Dispose();
}
