using System.CommandLine;
using Dlm.Documents.Format;

namespace Dlm.Cli.Commands;

/// <summary>`dlm init PATH --base KEY [--template NAME]`: write a starter .dlm document.</summary>
internal static class InitCommand
{
    public static Command Create()
    {
        var path = new Argument<string>("path") { Description = "Where to write the document (e.g. notes.dlm); must not exist yet." };
        var baseModel = new Option<string>("--base")
        {
            Description = "Base model: a registry key (e.g. smollm2-135m), hf:<org>/<name>, or a local model folder.",
            Required = true,
        };
        var templates = string.Join("; ", StarterTemplates.All.Select(t => $"{t.Name}: {t.Description}"));
        var template = new Option<string>("--template")
        {
            Description = $"Starter layout ({templates}).",
            DefaultValueFactory = _ => StarterTemplates.DefaultName,
        };
        template.AcceptOnlyFromAmong(StarterTemplates.All.Select(t => t.Name).ToArray());
        var cmd = new Command("init",
            "Write a starter .dlm document: frontmatter at the current schema version with a fresh dlm_id, " +
            "a prose section and an instruction example. Never overwrites an existing file.")
        { path, baseModel, template };
        cmd.SetAction(parse =>
        {
            var target = parse.GetValue(path)!;
            var doc = StarterTemplates.Create(target, parse.GetValue(baseModel)!, parse.GetValue(template)!);
            Console.Error.WriteLine($"created: {target} (dlm_id={doc.Frontmatter.DlmId})");
            return CliApp.ExitOk;
        });
        return cmd;
    }
}
