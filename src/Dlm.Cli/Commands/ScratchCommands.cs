using System.CommandLine;
using System.Runtime.InteropServices;
using Dlm.Core.Config;
using Dlm.Training.FromScratch;

namespace Dlm.Cli.Commands;

/// <summary>
/// `dlm pretrain`, `dlm sft`, `dlm pipeline`: from-scratch training on the token caches (niels-gpt,
/// REFERENCE.md R1). The library (Dlm.Training.FromScratch) does the work; these parse, print, and turn
/// Ctrl-C into a stop at the next step boundary (the run saves `latest`; a rerun resumes).
/// </summary>
internal static class ScratchCommands
{
    private const string OverridesHelp =
        "Overrides of settings keys, e.g. pretrain.max_steps=200 pretrain.max_minutes=10 model.init=preset:niels-tiny run.dir=runs/x data.seed=7.";

    public static IEnumerable<Command> Create() =>
    [
        Stage(StageKind.Pretrain, "pretrain",
            "Pretrain a model from scratch on the pretrain caches (mix_pretrain): checkpoints latest/best/step_N, metrics.jsonl, loss.png; a rerun resumes or skips."),
        Stage(StageKind.Sft, "sft",
            "Fine-tune a model on the SFT caches (mix_sft), loss on assistant tokens only; sft.init names the model (default: the pretrain stage's best)."),
        Pipeline(),
    ];

    private static (Option<string?> Settings, Option<string?> Out, Argument<string[]> Overrides) Common(string outHelp)
    {
        var settings = new Option<string?>("--settings") { Description = "Settings file (YAML: data:, model:, run:, pretrain:, sft:; see docs/from-scratch.md). Default: niels-gpt's data defaults." };
        var output = new Option<string?>("--out") { Description = outHelp };
        var overrides = new Argument<string[]>("key=value") { Description = OverridesHelp, Arity = ArgumentArity.ZeroOrMore };
        return (settings, output, overrides);
    }

    private static Command Stage(StageKind kind, string name, string description)
    {
        var (settings, output, overrides) = Common($"The stage folder (default: run.dir/{kind.Name()}).");
        var cmd = new Command(name, description) { settings, output, overrides };
        cmd.SetAction(parse =>
        {
            var s = ScratchSettingsLoader.Load(parse.GetValue(settings), KeyValueArgs.Parse(parse.GetValue(overrides) ?? []));
            string? init = null;
            if (kind == StageKind.Sft && s.Sft.Init is null)
            {
                // Like the pipeline: fine-tune the pretrain stage's best checkpoint when sft.init is not given.
                var best = Path.Combine(s.StageDir(StageKind.Pretrain), ScratchStage.CheckpointsDir, CheckpointFolders.Best);
                if (Directory.Exists(best)) init = best;
            }
            var view = ScratchConsoleView.ForConsole();
            var result = WithCtrlC(ct => ScratchStage.Run(new StageRequest
            {
                Settings = s,
                Stage = kind,
                Dir = parse.GetValue(output) is { } o ? Path.GetFullPath(o) : null,
                Init = init,
            }, view, ct));
            view.Done();
            Console.Out.WriteLine(ScratchPipeline.Describe(result));
            return result.Outcome == StageOutcome.Stopped ? 130 : CliApp.ExitOk;
        });
        return cmd;
    }

    private static Command Pipeline()
    {
        var (settings, output, overrides) = Common("The run folder, pretrain/ and sft/ below it (default: run.dir of the settings).");
        var cmd = new Command("pipeline",
            "Pretrain, then fine-tune the best pretrain checkpoint on the SFT caches with a fresh optimizer; complete stages are skipped, stopped ones resume.")
        { settings, output, overrides };
        cmd.SetAction(parse =>
        {
            var options = new ScratchPipelineOptions
            {
                SettingsPath = parse.GetValue(settings),
                Overrides = KeyValueArgs.Parse(parse.GetValue(overrides) ?? []),
                RunDir = parse.GetValue(output),
            };
            var s = ScratchPipeline.LoadSettings(options);
            var view = ScratchConsoleView.ForConsole();
            var result = WithCtrlC(ct => ScratchPipeline.Run(s, progress: view, ct: ct));
            view.Done();
            Console.Out.WriteLine(ScratchPipeline.Describe(result.Pretrain));
            Console.Out.WriteLine(ScratchPipeline.Describe(result.Sft));
            if (result.FinalModelPath is { } m && result.Complete) Console.Out.WriteLine($"talk to it: dlm chat --model {m}");
            return result.Stopped ? 130 : CliApp.ExitOk;
        });
        return cmd;
    }

    // The first Ctrl-C (or SIGTERM) asks the run to stop at the next step boundary; a second one ends the process.
    private static T WithCtrlC<T>(Func<CancellationToken, T> run)
    {
        using var cts = new CancellationTokenSource();
        void Handler(PosixSignalContext c)
        {
            if (cts.IsCancellationRequested) return;
            c.Cancel = true;
            Console.Error.WriteLine("dlm: stopping at the next step boundary (Ctrl-C again to quit now)");
            cts.Cancel();
        }
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, Handler);
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Handler);
        return run(cts.Token);
    }
}
