using System.CommandLine;
using System.Text.Json.Nodes;
using Dlm.Cli.Output;
using Dlm.Core;
using Dlm.Documents.Descent;
using Dlm.Documents.Format;
using Dlm.Documents.Scaffold;
using Dlm.Documents.Store;

namespace Dlm.Cli.Commands;

/// <summary>
/// `dlm show FILE|DIR [--json]`: what dlm reads in a document, the files its sources bring in,
/// and its store. A folder resolves as `dlm train DIR` does, without ever scaffolding. Errors are
/// printed as the contract's own lines (`file:line:col: message`), like `dlm train`.
/// </summary>
internal static class ShowCommand
{
    public static Command Create()
    {
        var target = new Argument<string>("document") { Description = "A .dlm document, or a folder whose DIR/.dlm/<name>.dlm dlm train would use." };
        var name = new Option<string>("--name")
        {
            Description = "For a folder: the document stem under DIR/.dlm/ (default corpus).",
            DefaultValueFactory = _ => ScaffoldRequest.DefaultName,
        };
        var json = new Option<bool>("--json")
        {
            Description = "Print one JSON object: {\"frontmatter\", \"sections\": [{\"type\", \"id\", \"start_line\", \"adapter\", " +
                          "\"text\" | \"pairs\" | \"triples\"}], \"descent\": {\"kept\", \"skipped\"} | null, \"store\"}.",
        };
        var cmd = new Command("show",
            "Show a document as dlm reads it: the frontmatter with every default resolved (defaults marked), " +
            "every section with its type, id, line, adapter and a preview, Q/A pairs counted, the files " +
            "training.sources keeps and skips (by reason), and the store's versions and runs. " +
            "Warnings (keys accepted but not used yet) go to stderr.")
        { target, name, json };
        cmd.SetAction(parse =>
        {
            try
            {
                return Run(parse.GetValue(target)!, parse.GetValue(name)!, parse.GetValue(json));
            }
            catch (DlmException e) when (e is not UsageException)
            {
                Console.Error.WriteLine(e.Message);
                return CliApp.ExitUserError;
            }
        });
        return cmd;
    }

    private static int Run(string target, string name, bool json)
    {
        var path = File.Exists(target) ? target : Scaffolder.Locate(target, name);
        var doc = DlmDocumentReader.ReadFile(path);
        foreach (var w in doc.Warnings) Console.Error.WriteLine(w);

        var t = doc.Frontmatter.Training;
        DescentReport? descent = null;
        string? descentError = null;
        if (t.Sources is { Count: > 0 } sources)
        {
            try
            {
                descent = DirectoryDescent.Run(doc.Path, sources, t.SourcesPolicy);
                foreach (var w in descent.Warnings) Console.Error.WriteLine($"warning: {w}");
            }
            catch (DlmException e)
            {
                descentError = e.Message;
            }
        }
        StoreSummary? store = null;
        string? storeError = null;
        try
        {
            store = StoreSummary.Read(doc.Frontmatter.DlmId);
        }
        catch (DlmException e)
        {
            storeError = e.Message;
        }

        if (json)
        {
            JsonNode? descentJson = descentError is not null ? DescentReport.ErrorJson(descentError) : descent?.ToJson();
            JsonNode? storeJson = storeError is not null ? new JsonObject { ["error"] = storeError } : store!.ToJson();
            Console.WriteLine(DocumentJson.Show(doc, descentJson, storeJson).ToJsonString(Json.Indented));
            return CliApp.ExitOk;
        }

        foreach (var line in DocumentText.Lines(doc)) Console.WriteLine(line);
        Console.WriteLine();
        if (descentError is not null) Console.WriteLine($"descent: error: {descentError}");
        else if (descent is null) Console.WriteLine("descent: no training.sources");
        else foreach (var line in DocumentText.DescentLines(descent)) Console.WriteLine(line);
        Console.WriteLine();
        if (storeError is not null) Console.WriteLine($"store: error: {storeError}");
        else foreach (var line in store!.ToLines()) Console.WriteLine(line);
        return CliApp.ExitOk;
    }
}
