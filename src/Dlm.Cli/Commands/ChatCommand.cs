using System.CommandLine;
using System.Globalization;
using Dlm.Chat;
using Dlm.Core;
using Dlm.Models.Generation;
using Dlm.Numerics.Kernels;

namespace Dlm.Cli.Commands;

/// <summary>
/// `dlm chat`: a REPL over a model with its chat renderer. Replies stream as they are sampled;
/// the history is kept within the context (the oldest turns are dropped, and the user is told).
/// When stdin is not a terminal each input line is one user turn, so a chat can be scripted.
/// </summary>
internal static class ChatCommand
{
    private const string Help = "commands: /exit, /clear (forget the conversation), /system TEXT (set the system message), " +
        "/params [key=value ...] (show or set temperature, top_k, top_p, min_p, repetition_penalty, max_tokens, seed), /save FILE (write the conversation as JSONL)";

    public static Command Create()
    {
        var o = new SamplingOptions(defaultTemperature: 0.7f, defaultMaxTokens: 256);
        var renderer = new Option<string?>("--renderer") { Description = $"Chat layout (default: the one the tokenizer's chat template implies; niels for niels models): {string.Join(", ", RendererRegistry.Names)}." };
        var system = new Option<string?>("--system") { Description = "System message to start with." };
        var cmd = new Command("chat", "Talk to a model: a REPL with the model's chat renderer, streamed replies, and " + Help + ".");
        o.AddTo(cmd);
        cmd.Options.Add(renderer);
        cmd.Options.Add(system);
        cmd.SetAction(parse =>
        {
            var tokenizer = o.LoadTokenizer(parse, required: true)!;
            var r = RendererRegistry.Create(parse.GetValue(renderer) ?? RendererRegistry.RecommendFor(tokenizer), tokenizer);
            var stops = r.GetStopSequences();
            var p = o.Params(parse, stops.Tokens, stops.Strings);
            using var client = o.LoadClient(parse, tokenizer);
            int context = client.Model.Config.ContextLength;
            bool tty = !Console.IsInputRedirected;
            var messages = new List<Message>();
            if (parse.GetValue(system) is { } sys) messages.Add(Message.System(sys));
            if (tty) Console.Error.WriteLine($"dlm chat: {client.Model.Config.ModelType} model, renderer {r.Name}, {client.Model.Format.Name()} weights, context {context} tokens. {Help}.");
            int turn = 0;
            while (true)
            {
                if (tty) Console.Write("> ");
                var line = Console.In.ReadLine();
                if (line is null) break;
                if (line.Length == 0) continue;
                if (line.StartsWith('/'))
                {
                    if (!Command(line, messages, ref p)) break;
                    continue;
                }
                messages.Add(Message.User(line));
                var fitted = ConversationWindow.Fit(r, messages, context - Math.Min(p.MaxTokens, context / 2));
                if (fitted is null)
                {
                    messages.RemoveAt(messages.Count - 1);
                    Console.Error.WriteLine($"dlm chat: that message alone does not fit the context of {context} tokens with room for a reply; not sent");
                    continue;
                }
                if (fitted.Dropped > 0)
                {
                    Console.Error.WriteLine($"dlm chat: dropped the {fitted.Dropped} oldest message(s) to stay within the context of {context} tokens");
                    messages.RemoveRange(messages.FindIndex(m => m.Role != Roles.System), fitted.Dropped);
                }
                var prompt = fitted.Prompt.ToInts();
                var turnParams = p with
                {
                    Seed = p.Seed is { } s ? s + turn : null,
                    MaxTokens = Math.Min(p.MaxTokens, context - prompt.Length),
                };
                turn++;
                var stream = new StreamingText(tokenizer, turnParams.StopStrings, skipSpecialTokens: true);
                var result = client.Sample(prompt, 1, turnParams, t =>
                {
                    if (turnParams.StopTokens.Contains(t.Token)) return;
                    Console.Out.Write(stream.Push(t.Token));
                    Console.Out.Flush();
                }).Sequences[0];
                Console.Out.WriteLine(stream.Flush());
                var parsed = r.ParseResponse(result.Tokens);
                messages.Add(Message.Assistant(parsed.Ok ? parsed.Message.Content : stream.Text));
                if (result.StopReason == StopReason.Length) Console.Error.WriteLine($"dlm chat: the reply was cut at {result.Tokens.Length} tokens");
            }
            return CliApp.ExitOk;
        });
        return cmd;
    }

    // Runs one /command; false means exit.
    private static bool Command(string line, List<Message> messages, ref SamplingParams p)
    {
        int space = line.IndexOf(' ', StringComparison.Ordinal);
        string name = space < 0 ? line : line[..space], arg = space < 0 ? "" : line[(space + 1)..].Trim();
        switch (name)
        {
            case "/exit" or "/quit":
                return false;
            case "/clear":
                messages.RemoveAll(m => m.Role != Roles.System);
                Console.Error.WriteLine("dlm chat: conversation cleared");
                break;
            case "/system":
                messages.RemoveAll(m => m.Role == Roles.System);
                if (arg.Length > 0) messages.Insert(0, Message.System(arg));
                Console.Error.WriteLine(arg.Length > 0 ? "dlm chat: system message set" : "dlm chat: system message removed");
                break;
            case "/params":
                try
                {
                    if (arg.Length > 0) p = SetParams(p, arg);
                }
                catch (DlmException e)
                {
                    Console.Error.WriteLine($"dlm chat: {e.Message}");
                }
                Console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"temperature={p.Temperature} top_k={p.TopK} top_p={p.TopP} min_p={p.MinP} repetition_penalty={p.RepetitionPenalty} max_tokens={p.MaxTokens} seed={(p.Seed is { } s ? s : "none")}"));
                break;
            case "/save":
                if (arg.Length == 0) { Console.Error.WriteLine("dlm chat: /save needs a file name"); break; }
                AtomicFile.WriteAllText(arg, ConversationJson.Serialize(messages) + "\n");
                Console.Error.WriteLine($"dlm chat: saved {messages.Count} message(s) to {arg}");
                break;
            default:
                Console.Error.WriteLine($"dlm chat: unknown command {name}; {Help}");
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
}
