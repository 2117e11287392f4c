using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Dlm.Cli.Output;
using Dlm.Core;
using Dlm.Tokenizers.Training;
using Spectre.Console;

namespace Dlm.Cli.Commands;

/// <summary>`dlm tokenizer`: the tokenizer command group; `dlm tokenizer train` trains a byte-level BPE.</summary>
internal static class TokenizerCommand
{
    public static Command Create()
    {
        var cmd = new Command("tokenizer", "Work with tokenizers (Hugging Face tokenizer.json).");
        cmd.Subcommands.Add(CreateTrain());
        return cmd;
    }

    private static Command CreateTrain()
    {
        var vocabSize = new Option<int>("--vocab-size")
        {
            Description = "Total number of ids: special tokens + 256 byte tokens + merged tokens.",
            Required = true,
        };
        var special = new Option<string[]>("--special")
        {
            Description = "Special tokens, ids 0..k-1 in this order (repeat the option or list them; end the list with another option or --).",
            AllowMultipleArgumentsPerToken = true,
        };
        var regex = new Option<string?>("--regex")
        {
            Description = "Pre-tokenization regex (default: the GPT-2 pattern).",
        };
        var minFrequency = new Option<long>("--min-frequency")
        {
            Description = "Never merge a pair seen fewer times than this (default 0: any pair).",
        };
        var output = new Option<string>("--out")
        {
            Description = "Folder to write tokenizer.json and tokenizer_config.json into.",
            Required = true,
        };
        var bos = new Option<string?>("--bos") { Description = "Which special token is BOS in tokenizer_config.json." };
        var eos = new Option<string?>("--eos") { Description = "Which special token is EOS in tokenizer_config.json." };
        var pad = new Option<string?>("--pad") { Description = "Which special token pads in tokenizer_config.json." };
        var threads = new Option<int>("--threads") { Description = "Threads counting words (default 0: one per processor); the result does not depend on it." };
        var json = new Option<bool>("--json") { Description = "Print the summary as one JSON object." };
        var files = new Argument<string[]>("FILES")
        {
            Description = "UTF-8 text files to train on (read line by line).",
            Arity = ArgumentArity.ZeroOrMore,
        };
        var cmd = new Command("train",
            "Train a byte-level BPE tokenizer (GPT-2-style pre-tokenization, special tokens at ids 0..k-1) " +
            "and write a Hugging Face tokenizer.json. Deterministic: the same files give the same bytes.")
        { vocabSize, special, regex, minFrequency, output, bos, eos, pad, threads, json, files };

        cmd.SetAction((parse, ct) =>
        {
            var specials = parse.GetValue(special) ?? [];
            var inputs = parse.GetValue(files) ?? [];
            if (inputs.Length == 0)
            {
                var hint = specials.Length > 0 && File.Exists(specials[^1])
                    ? $" ('{specials[^1]}' was taken as a special token: put FILES before --special, or end the list with --)"
                    : "";
                throw new UsageException("tokenizer train: no input files" + hint);
            }
            var options = new BpeTrainerOptions
            {
                VocabSize = parse.GetValue(vocabSize),
                SpecialTokens = specials,
                Pattern = parse.GetValue(regex),
                MinFrequency = parse.GetValue(minFrequency),
                Threads = parse.GetValue(threads),
            };
            var summary = Train(options, inputs, parse.GetValue(output)!,
                parse.GetValue(bos), parse.GetValue(eos), parse.GetValue(pad), parse.GetValue(json), ct);
            if (parse.GetValue(json)) Console.WriteLine(JsonSerializer.Serialize(summary, Json.Indented));
            else PrintSummary(summary);
            return Task.FromResult(CliApp.ExitOk);
        });
        return cmd;
    }

    internal sealed record TrainSummary(
        string TokenizerJson, int RequestedVocabSize, int VocabSize, int SpecialTokens, int Merges, int DistinctWords, long Words,
        long InputBytes, double CountSeconds, double MergeSeconds, double TotalSeconds, double CpuSeconds);

    private static TrainSummary Train(BpeTrainerOptions options, string[] inputs, string outDir,
        string? bos, string? eos, string? pad, bool noProgressBar, CancellationToken ct)
    {
        var trainer = new BpeTrainer(options);
        // Check the roles and the output folder before the long part.
        foreach (var (role, t) in new[] { ("bos", bos), ("eos", eos), ("pad", pad) })
            if (t is not null && !options.SpecialTokens.Contains(t))
                throw new DlmException($"--{role} '{t}' is not one of the --special tokens");
        if (File.Exists(outDir)) throw new DlmException($"--out {outDir} is a file, not a folder");
        foreach (var f in inputs)
            if (!File.Exists(f))
                throw new DlmException(Directory.Exists(f) ? $"{f} is a folder, not a text file" : $"input file not found: {f}");
        long bytes = inputs.Sum(f => new FileInfo(f).Length);

        var total = Stopwatch.StartNew();
        var cpu = Environment.CpuUsage.TotalTime;
        BpeTrainingResult result;
        double countSeconds, mergeSeconds;
        if (!noProgressBar && AnsiConsole.Profile.Capabilities.Interactive)
        {
            (result, countSeconds, mergeSeconds) = WithProgressBar(trainer, inputs, ct);
        }
        else
        {
            Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"counting words in {inputs.Length} file(s), {bytes / 1e6:F1} MB"));
            var sw = Stopwatch.StartNew();
            trainer.FeedFiles(inputs, null, ct);
            countSeconds = sw.Elapsed.TotalSeconds;
            Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"learning merges over {trainer.DistinctWords} distinct words, up to {options.VocabSize} tokens"));
            sw.Restart();
            result = trainer.Train(null, ct);
            mergeSeconds = sw.Elapsed.TotalSeconds;
        }
        var path = result.Save(outDir, bos, eos, pad);
        return new TrainSummary(path, options.VocabSize, result.VocabSize, result.SpecialTokens.Count, result.Merges.Count,
            trainer.DistinctWords, trainer.TotalWords, bytes, Math.Round(countSeconds, 3), Math.Round(mergeSeconds, 3),
            Math.Round(total.Elapsed.TotalSeconds, 3), Math.Round((Environment.CpuUsage.TotalTime - cpu).TotalSeconds, 3));
    }

    private static (BpeTrainingResult, double, double) WithProgressBar(BpeTrainer trainer, string[] inputs, CancellationToken ct)
    {
        BpeTrainingResult? result = null;
        double countSeconds = 0, mergeSeconds = 0;
        AnsiConsole.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(),
                new ElapsedTimeColumn(), new RemainingTimeColumn())
            .Start(ctx =>
            {
                var counting = ctx.AddTask("counting words");
                var merging = ctx.AddTask("learning merges", autoStart: false);
                var sink = new ProgressSink(counting, merging);
                var sw = Stopwatch.StartNew();
                trainer.FeedFiles(inputs, sink, ct);
                counting.Value = counting.MaxValue;
                countSeconds = sw.Elapsed.TotalSeconds;
                merging.StartTask();
                sw.Restart();
                result = trainer.Train(sink, ct);
                merging.Value = merging.MaxValue;
                mergeSeconds = sw.Elapsed.TotalSeconds;
            });
        return (result!, countSeconds, mergeSeconds);
    }

    /// <summary>Turns trainer progress into the two Spectre.Console progress tasks.</summary>
    private sealed class ProgressSink(ProgressTask counting, ProgressTask merging) : IProgress<BpeTrainingProgress>
    {
        public void Report(BpeTrainingProgress value)
        {
            var task = value.Phase == BpeTrainingPhase.CountingWords ? counting : merging;
            task.MaxValue = Math.Max(1, value.Total);
            task.Value = Math.Min(value.Done, value.Total);
        }
    }

    private static void PrintSummary(TrainSummary s)
    {
        var ci = CultureInfo.InvariantCulture;
        Console.WriteLine(string.Create(ci,
            $"vocab {s.VocabSize} ({s.SpecialTokens} special + 256 bytes + {s.VocabSize - s.SpecialTokens - 256} merged), " +
            $"{s.Merges} merges, from {s.Words} words ({s.DistinctWords} distinct, {s.InputBytes / 1e6:F1} MB)"));
        if (s.VocabSize < s.RequestedVocabSize)
            Console.WriteLine(string.Create(ci,
                $"stopped below the requested {s.RequestedVocabSize}: no pair left that occurs often enough to merge"));
        Console.WriteLine(string.Create(ci,
            $"{s.TotalSeconds:F2} s (counting {s.CountSeconds:F2} s, merges {s.MergeSeconds:F2} s; {s.CpuSeconds:F2} s of CPU) -> {s.TokenizerJson}"));
    }
}
