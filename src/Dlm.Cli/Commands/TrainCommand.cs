using Dlm.Cli.Output;
using System.CommandLine;
using System.Globalization;
using Dlm.Core;
using Dlm.Documents.Descent;
using Dlm.Documents.Format;
using Dlm.Documents.Scaffold;
using Dlm.Documents.Store;
using Dlm.Documents.Training;
using Spectre.Console;

namespace Dlm.Cli.Commands;

/// <summary>
/// `dlm train &lt;file.dlm|dir&gt;`: resolves the document (scaffolding <c>DIR/.dlm/&lt;name&gt;.dlm</c>
/// on first use, shared/contracts/documents-cli.md), parses it, walks its sources, then trains a new
/// adapter version (<see cref="DocumentTrainer"/>). With <c>--dry-run</c> the report (document,
/// rows, tokens, steps, estimated time) goes to stdout and nothing is written to the store; when
/// training, notes go to stderr, R2's <c>sft:</c>/<c>adapter:</c>/<c>log:</c> lines end them, and
/// stdout holds the final train loss alone. Its error lines are the contract's own
/// (<c>scaffold: ...</c>, <c>file:line:col: ...</c>), printed as they are.
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
        var dryRun = new Option<bool>("--dry-run") { Description = "Resolve or scaffold the document, parse it, report what would be trained (rows, tokens, steps, estimated time), stop: no download, nothing written to the store (exit 0)." };
        var resume = new Option<bool>("--resume") { Description = "Continue the last interrupted run from its checkpoint (optimizer state, step and RNG included)." };
        var fresh = new Option<bool>("--fresh") { Description = "Train from the base alone, not from the current adapter, even when the content is unchanged." };
        var seed = new Option<long?>("--seed") { Description = "Seed of the run (default: training.seed of the document, 42)." };
        var maxSteps = new Option<int?>("--max-steps") { Description = "Stop after this many optimizer steps (the schedule spans them)." };
        var accept = new Option<bool>(Dlm.Hub.BaseModelResolver.AcceptLicenseFlag) { Description = "Accept the licence of a gated base (recorded in the store manifest)." };

        var cmd = new Command("train",
            "Train a document: resolve it (scaffolding FOLDER/.dlm/<name>.dlm for a folder), build its rows and LoRA-train a new adapter " +
            "version of its store on the base model. Prints sft:/adapter:/log: on stderr and the final train loss on stdout.")
        {
            target, baseModel, include, exclude, recursive, noRecursive, name, policy, rescaffold, dryRun, resume, fresh, seed, maxSteps, accept,
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
                var options = new DocumentTrainOptions
                {
                    DryRun = parse.GetValue(dryRun),
                    Resume = parse.GetValue(resume),
                    Fresh = parse.GetValue(fresh),
                    Seed = parse.GetValue(seed),
                    MaxSteps = parse.GetValue(maxSteps),
                    AcceptLicense = parse.GetValue(accept),
                };
                if (options.Resume && options.Fresh) throw new UsageException("pass only one of --resume and --fresh");
                if (options.MaxSteps is < 1) throw new UsageException($"--max-steps must be at least 1, not {options.MaxSteps}");
                return Run(request, options);
            }
            catch (DlmException e) when (e is not UsageException)
            {
                Console.Error.WriteLine(e.Message);
                return CliApp.ExitUserError;
            }
        });
        return cmd;
    }

    private static int Run(ScaffoldRequest request, DocumentTrainOptions options)
    {
        var resolved = Scaffolder.Resolve(request);
        foreach (var w in resolved.Warnings) Console.Error.WriteLine($"warning: {w}");
        if (resolved.Written) Console.Error.WriteLine($"scaffolded: {resolved.DocumentPath} (dlm_id={resolved.DlmId})");
        var doc = DlmDocumentReader.ReadFile(resolved.DocumentPath);
        foreach (var w in doc.Warnings) Console.Error.WriteLine(w);
        var plan = TrainPlan.For(resolved.DocumentPath, doc);
        if (plan.Descent is not null)
            foreach (var w in plan.Descent.Warnings) Console.Error.WriteLine($"warning: {w}");
        // A dry run's report is its output (stdout); a real run keeps stdout for the final loss.
        var report = options.DryRun ? Console.Out : Console.Error;
        foreach (var line in plan.ToLines()) report.WriteLine(line);
        if (options.DryRun)
        {
            try
            {
                // Offline: a dry run downloads nothing and asks the hub nothing.
                DocumentTrainer.Run(doc, plan.Descent, options with { Hub = options.Hub with { Offline = true } }, report.WriteLine);
            }
            catch (DlmException e) when (e is not UsageException)
            {
                report.WriteLine($"base: {e.Message}; rows, tokens and steps need the base's tokenizer");
            }
            return CliApp.ExitOk;
        }

        var err = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });
        bool bars = ProgressBars.Enabled(err);
        TrainOutcome outcome;
        using var cancel = new CancellationTokenSource();
        ConsoleCancelEventHandler onCancel = (_, e) => { e.Cancel = true; cancel.Cancel(); };
        Console.CancelKeyPress += onCancel;
        try
        {
            if (bars)
            {
                outcome = null!;
                err.Progress().AutoClear(true)
                    .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
                    .Start(ctx =>
                    {
                        var task = ctx.AddTask("training", autoStart: true);
                        outcome = DocumentTrainer.Run(doc, plan.Descent, options, line => err.WriteLine(line),
                            new StepProgress(r =>
                            {
                                task.MaxValue = r.TotalSteps;
                                task.Value = r.Step;
                                task.Description = string.Create(CultureInfo.InvariantCulture, $"step {r.Step}/{r.TotalSteps} loss {r.Loss:F4}");
                                if (r.ValidationLoss is { } v)
                                    err.WriteLine(string.Create(CultureInfo.InvariantCulture, $"epoch {r.Epoch}: step {r.Step}/{r.TotalSteps}, train loss {r.Loss:F4}, val loss {v:F4}"));
                            }), ct: cancel.Token);
                    });
            }
            else
            {
                int lastEpoch = 0;
                outcome = DocumentTrainer.Run(doc, plan.Descent, options, Console.Error.WriteLine, new StepProgress(r =>
                {
                    // One line per epoch (and the last step), not per step: logs stay readable; the JSONL log has every step.
                    if (r.Epoch == lastEpoch && r.Step != r.TotalSteps && r.ValidationLoss is null) return;
                    lastEpoch = r.Epoch;
                    Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"epoch {r.Epoch}: step {r.Step}/{r.TotalSteps}, train loss {r.Loss:F4}{(r.ValidationLoss is { } v ? $", val loss {v:F4}" : "")}"));
                }), ct: cancel.Token);
            }
        }
        finally
        {
            Console.CancelKeyPress -= onCancel;
        }
        if (outcome.Kind == TrainOutcomeKind.Unchanged) return CliApp.ExitOk;
        Console.Error.WriteLine($"sft: {AdapterVersionRecord.FolderName(outcome.Version)} ({outcome.Steps} steps, seed={outcome.Seed})");
        Console.Error.WriteLine($"adapter: {outcome.AdapterDir}");
        Console.Error.WriteLine($"log: {outcome.LogPath}");
        Console.Out.WriteLine(outcome.FinalTrainLoss is { } l ? l.ToString("R", CultureInfo.InvariantCulture) : "nan");
        return CliApp.ExitOk;
    }

    private sealed class StepProgress(Action<TrainStepReport> report) : IProgress<TrainStepReport>
    {
        public void Report(TrainStepReport value) => report(value);
    }
}
