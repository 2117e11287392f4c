using System.CommandLine;
using Dlm.Core;
using Dlm.Documents.Descent;
using Dlm.Documents.Format;
using Dlm.Documents.Scaffold;

namespace Dlm.Cli.Commands;

/// <summary>
/// `dlm train &lt;file.dlm|dir&gt;`: resolves the document (scaffolding <c>DIR/.dlm/&lt;name&gt;.dlm</c>
/// on first use, shared/contracts/documents-cli.md), parses it, walks its sources and reports what
/// would be trained. Training itself is not in this build: without <c>--dry-run</c> it says so and exits 1.
/// Its error lines are the contract's own (<c>scaffold: ...</c>, <c>file:line:col: ...</c>), printed as they are.
/// </summary>
internal static class TrainCommand
{
    public static Command Create()
    {
        var target = new Argument<string>("target") { Description = "A .dlm document, or a folder to train on (scaffolds FOLDER/.dlm/<name>.dlm)." };
        var baseModel = new Option<string?>("--base") { Description = "Base model for a first scaffold: a registry key (e.g. smollm2-135m) or hf:<org>/<name>." };
        var include = new Option<string[]>("--include") { Description = "Include glob for the scaffold (repeatable; default **/*, or * with --no-recursive)." };
        var exclude = new Option<string[]>("--exclude") { Description = "Exclude glob for the scaffold (repeatable)." };
        var recursive = new Option<bool>("--recursive", "-r") { Description = "Walk the folder recursively (the default)." };
        var noRecursive = new Option<bool>("--no-recursive", "-R") { Description = "Only the folder's own files." };
        var name = new Option<string>("--name")
        {
            Description = "Document stem under FOLDER/.dlm/ (default corpus).",
            DefaultValueFactory = _ => ScaffoldRequest.DefaultName,
        };
        var policy = new Option<string>("--policy")
        {
            Description = "sources_policy of the scaffold: strict (files must stay inside the folder) or permissive.",
            DefaultValueFactory = _ => "strict",
        };
        policy.AcceptOnlyFromAmong("strict", "permissive");
        var rescaffold = new Option<bool>("--rescaffold") { Description = "Rewrite FOLDER/.dlm/<name>.dlm from the flags, keeping its dlm_id." };
        var dryRun = new Option<bool>("--dry-run") { Description = "Resolve or scaffold the document, parse it, report what would be trained, stop (exit 0)." };

        var cmd = new Command("train",
            "Resolve a document (scaffolding FOLDER/.dlm/<name>.dlm for a folder), parse it and report what would be trained. " +
            "Training itself is not available in this build yet: use --dry-run.")
        {
            target, baseModel, include, exclude, recursive, noRecursive, name, policy, rescaffold, dryRun,
        };
        cmd.SetAction(parse =>
        {
            if (parse.GetValue(recursive) && parse.GetValue(noRecursive))
                throw new UsageException("pass only one of --recursive and --no-recursive");
            var explicitFlags = new List<string>();
            if (parse.GetResult(baseModel) is { Implicit: false }) explicitFlags.Add("--base");
            if (parse.GetResult(include) is { Implicit: false }) explicitFlags.Add("--include");
            if (parse.GetResult(exclude) is { Implicit: false }) explicitFlags.Add("--exclude");
            if (parse.GetResult(policy) is { Implicit: false }) explicitFlags.Add("--policy");
            if (parse.GetValue(noRecursive)) explicitFlags.Add("--no-recursive");
            var request = new ScaffoldRequest(
                parse.GetValue(target)!,
                parse.GetValue(baseModel),
                parse.GetValue(include) ?? [],
                parse.GetValue(exclude) ?? [],
                Recursive: !parse.GetValue(noRecursive),
                Name: parse.GetValue(name)!,
                Policy: parse.GetValue(policy) == "permissive" ? SourcesPolicy.Permissive : SourcesPolicy.Strict,
                Rescaffold: parse.GetValue(rescaffold),
                ExplicitFlags: explicitFlags);
            try
            {
                return Run(request, parse.GetValue(dryRun));
            }
            catch (DlmException e) when (e is not UsageException)
            {
                Console.Error.WriteLine(e.Message);
                return CliApp.ExitUserError;
            }
        });
        return cmd;
    }

    private static int Run(ScaffoldRequest request, bool dryRun)
    {
        var resolved = Scaffolder.Resolve(request);
        foreach (var w in resolved.Warnings) Console.Error.WriteLine($"warning: {w}");
        if (resolved.Written) Console.Error.WriteLine($"scaffolded: {resolved.DocumentPath} (dlm_id={resolved.DlmId})");
        var doc = DlmDocumentReader.ReadFile(resolved.DocumentPath);
        foreach (var w in doc.Warnings) Console.Error.WriteLine(w);
        var plan = TrainPlan.For(resolved.DocumentPath, doc);
        if (plan.Descent is not null)
            foreach (var w in plan.Descent.Warnings) Console.Error.WriteLine($"warning: {w}");
        foreach (var line in plan.ToLines()) Console.Out.WriteLine(line);
        if (dryRun) return CliApp.ExitOk;
        Console.Error.WriteLine("train: training a document is not available in this build yet; the document above was resolved and checked, nothing was trained (use --dry-run to stop here without this error)");
        return CliApp.ExitUserError;
    }
}
