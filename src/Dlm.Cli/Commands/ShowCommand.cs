using System.CommandLine;
using Dlm.Cli.Output;
using Dlm.Documents.Format;

namespace Dlm.Cli.Commands;

/// <summary>`dlm show FILE [--json]`: what dlm reads in a document.</summary>
internal static class ShowCommand
{
    public static Command Create()
    {
        var target = new Argument<string>("document") { Description = "A .dlm document." };
        var json = new Option<bool>("--json")
        {
            Description = "Print one JSON object: {\"frontmatter\", \"sections\": [{\"type\", \"id\", \"start_line\", \"adapter\", " +
                          "\"text\" | \"pairs\" | \"triples\"}], \"descent\", \"store\"}.",
        };
        var cmd = new Command("show",
            "Show a document as dlm reads it: the frontmatter with every default resolved (defaults marked), " +
            "every section with its type, id, line, adapter and a preview, and Q/A pairs counted. " +
            "Warnings (keys accepted but not used yet) go to stderr.")
        { target, json };
        cmd.SetAction(parse =>
        {
            var doc = DlmDocumentReader.ReadFile(parse.GetValue(target)!);
            foreach (var w in doc.Warnings) Console.Error.WriteLine($"dlm: {w}");
            if (parse.GetValue(json))
            {
                Console.WriteLine(DocumentJson.Show(doc, descent: null, store: null).ToJsonString(Json.Indented));
            }
            else
            {
                foreach (var line in DocumentText.Lines(doc)) Console.WriteLine(line);
            }
            return CliApp.ExitOk;
        });
        return cmd;
    }
}
