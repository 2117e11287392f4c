using System.CommandLine;
using Dlm.Chat;
using Dlm.Numerics.Kernels;
using Dlm.Training.Repl;

namespace Dlm.Cli.Commands;

/// <summary>
/// `dlm chat`: the chat REPL (<see cref="ChatRepl"/>, shared with `dlm repl`) over a model folder
/// with its chat renderer. When stdin is not a terminal each input line is one user turn, so a
/// chat can be scripted.
/// </summary>
internal static class ChatCommand
{
    public static Command Create()
    {
        var o = new SamplingOptions(defaultTemperature: 0.7f, defaultMaxTokens: 256);
        var renderer = new Option<string?>("--renderer") { Description = $"Chat layout (default: the one the tokenizer's chat template implies; niels for niels models): {string.Join(", ", RendererRegistry.Names)}." };
        var system = new Option<string?>("--system") { Description = "System message to start with." };
        var cmd = new Command("chat", "Talk to a model: a REPL with the model's chat renderer and streamed replies; /help lists its commands " +
            "(/exit, /clear, /system, /params, /save, /history, /model, /adapter).");
        o.AddTo(cmd);
        cmd.Options.Add(renderer);
        cmd.Options.Add(system);
        cmd.SetAction(parse =>
        {
            var tokenizer = o.LoadTokenizer(parse, required: true)!;
            var r = RendererRegistry.Create(parse.GetValue(renderer) ?? RendererRegistry.RecommendFor(tokenizer), tokenizer);
            var stops = r.GetStopSequences();
            var p = o.Params(parse, stops.Tokens, stops.Strings);
            var client = o.LoadClient(parse, tokenizer);
            var adapter = parse.GetValue(o.Adapter);
            var description = $"{client.Model.Config.ModelType} model {parse.GetValue(o.Model)}, {client.Model.Format.Name()} weights" +
                (adapter is null ? "" : $", adapter {adapter}");
            using var repl = new ChatRepl("dlm chat", new ReplModel(client, description, adapter), tokenizer, r, p);
            if (parse.GetValue(system) is { } sys) repl.Messages.Add(Message.System(sys));
            repl.Run(Console.In, interactive: !Console.IsInputRedirected);
            return CliApp.ExitOk;
        });
        return cmd;
    }
}
