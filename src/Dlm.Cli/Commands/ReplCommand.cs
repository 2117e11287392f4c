using System.CommandLine;
using Dlm.Documents.Prompting;
using Dlm.Training.Repl;

namespace Dlm.Cli.Commands;

/// <summary>
/// `dlm repl &lt;file.dlm|dir&gt;`: `dlm chat`'s REPL (<see cref="ChatRepl"/>, the same loop) on the
/// document's base and current adapter (or <c>--adapter vNNNN</c>), its system prompt first. The
/// whole conversation goes to the model each turn; <c>/adapter vNNNN</c> switches versions.
/// </summary>
internal static class ReplCommand
{
    public static Command Create()
    {
        var o = new DocumentSamplingOptions();
        var cmd = new Command("repl", "Talk to a trained document: dlm chat's REPL on its base and current adapter (or --adapter vNNNN); " +
            "/help lists the commands (/exit /quit /clear /save /adapter /params /model /history /help, /system).");
        o.AddTo(cmd);
        cmd.SetAction(parse =>
        {
            var chat = o.Open(parse);
            ReplModel Load(string? version)
            {
                var dir = chat.AdapterDir(version);
                var name = DocumentChat.VersionName(dir);
                return new ReplModel(chat.Client(dir), $"{chat.Document.Frontmatter.BaseModel} ({chat.Base.Config.ModelType}) with adapter {name}", dir is null ? null : name);
            }
            var model = Load(parse.GetValue(o.Adapter));
            if (model.Adapter is null) Console.Error.WriteLine($"warning: {chat.Store.Root} has no adapter yet: talking to the base alone (train it with dlm train)");
            using var repl = new ChatRepl("dlm repl", model, chat.Base.Tokenizer, chat.Base.Renderer, o.Params(parse, chat), v => Load(v));
            repl.Messages.AddRange(chat.StartingMessages);
            repl.Run(Console.In, interactive: !Console.IsInputRedirected);
            return CliApp.ExitOk;
        });
        return cmd;
    }
}
