using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using Dlm.Cli.Output;
using Dlm.Core.Config;
using Dlm.Data.Build;
using Dlm.Data.Settings;
using Spectre.Console;

namespace Dlm.Cli.Commands;

/// <summary>`dlm cache build-all`: build every token cache the data settings need (REFERENCE.md R1).</summary>
internal static class CacheCommand
{
    public static Command Create()
    {
        var cmd = new Command("cache", "Token caches for pretraining and SFT (the niels-gpt pipeline).");
        cmd.Subcommands.Add(CreateBuildAll());
        return cmd;
    }

    private static Command CreateBuildAll()
    {
        var settings = new Option<string?>("--settings")
        {
            Description = "Data settings file (YAML; examples: data/settings.example.yaml, data/settings.niels.yaml). Default: niels-gpt's defaults, paths under ./data.",
        };
        var json = new Option<bool>("--json") { Description = "End with the summary as one JSON object on the last line (human output goes to stderr)." };
        var overrides = new Argument<string[]>("key=value")
        {
            Description = "Overrides of settings keys, e.g. data.seed=7 data.mix_pretrain=brown:1.0 data.sources.brown.val_tokens=50000.",
            Arity = ArgumentArity.ZeroOrMore,
        };
        var cmd = new Command("build-all",
            "Build the pretrain caches of mix_pretrain and the SFT caches of mix_sft (and the primer, always); skip complete ones; validate both trees.")
        { settings, json, overrides };
        cmd.SetAction(parse =>
        {
            var ct = CancellationToken.None;
            var args = KeyValueArgs.Parse(parse.GetValue(overrides) ?? []);
            var data = SettingsLoader.Load(parse.GetValue(settings), args);
            bool asJson = parse.GetValue(json);
            var human = asJson ? Console.Error : Console.Out;
            var err = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });
            bool bars = ProgressBars.Enabled(err);
            BuildAllReport report;
            if (bars)
            {
                report = null!;
                err.Progress().AutoClear(false)
                    .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
                    .Start(ctx => report = BuildAll.Run(data, null, new BarProgress(ctx, err, human), null, ct));
            }
            else report = BuildAll.Run(data, null, new LineProgress(human, Console.Error), null, ct);
            PrintSummary(report, human);
            if (asJson) Console.WriteLine(ToJson(report).ToJsonString(Json.Compact));
            return CliApp.ExitOk;
        });
        return cmd;
    }

    internal static void PrintPlan(CacheBuildPlan plan, TextWriter w)
    {
        w.WriteLine($"pretrain sources: {string.Join(", ", plan.PretrainSources.Select(s => s.Name))}");
        w.WriteLine($"sft sources:      {string.Join(", ", plan.SftSources.Select(s => s.Name))}");
        w.WriteLine($"pretrain cache:   {plan.PretrainRoot}");
        w.WriteLine($"sft cache:        {plan.SftRoot}");
    }

    private static readonly string[] Header = ["source", "status", "records", "train tokens", "val tokens", "skipped", "time"];

    private static void PrintSummary(BuildAllReport report, TextWriter w)
    {
        var ci = CultureInfo.InvariantCulture;
        var rows = new List<string[]> { Header };
        foreach (var r in report.Results)
            rows.Add([$"{r.Side}/{r.Source}", r.Status.ToString().ToLowerInvariant(), r.Records.ToString("N0", ci), r.TrainTokens.ToString("N0", ci),
                r.ValTokens.ToString("N0", ci), r.SkippedRecords.ToString("N0", ci), r.Status == SourceBuildStatus.Skipped ? "-" : r.Seconds.ToString("F1", ci) + " s"]);
        var widths = Enumerable.Range(0, rows[0].Length).Select(c => rows.Max(r => r[c].Length)).ToArray();
        foreach (var row in rows)
            w.WriteLine(string.Join("  ", row.Select((cell, c) => c == 0 ? cell.PadRight(widths[c]) : cell.PadLeft(widths[c]))).TrimEnd());
    }

    private static JsonObject ToJson(BuildAllReport report)
    {
        var sources = new JsonObject();
        foreach (var r in report.Results)
        {
            var o = new JsonObject
            {
                ["side"] = r.Side,
                ["status"] = r.Status.ToString().ToLowerInvariant(),
                ["path"] = r.Path,
                ["train_tokens"] = r.TrainTokens,
                ["val_tokens"] = r.ValTokens,
                ["skipped_records"] = r.SkippedRecords,
                ["seconds"] = Math.Round(r.Seconds, 3),
            };
            if (r.Side == "sft") { o["train_examples"] = r.TrainExamples; o["val_examples"] = r.ValExamples; o["cut_examples"] = r.CutExamples; }
            else o["documents"] = r.Records;
            if (r.Error is not null) o["error"] = r.Error;
            sources[r.Source] = o;
        }
        return new JsonObject
        {
            ["pretrain_root"] = report.Plan.PretrainRoot,
            ["sft_root"] = report.Plan.SftRoot,
            ["pretrain_sources"] = new JsonArray([.. report.Plan.PretrainSources.Select(s => (JsonNode)s.Name)]),
            ["sft_sources"] = new JsonArray([.. report.Plan.SftSources.Select(s => (JsonNode)s.Name)]),
            ["sources"] = sources,
        };
    }

    internal static string Rate(long records, long tokens, Dlm.Data.Sources.SourceReadContext read, double seconds)
    {
        var ci = CultureInfo.InvariantCulture;
        double mbs = seconds > 0 ? read.BytesRead / 1e6 / seconds : 0;
        string eta = "";
        if (read.TotalBytes > 0 && read.BytesRead > 0 && read.BytesRead < read.TotalBytes && seconds > 0)
            eta = string.Create(ci, $", ETA {(read.TotalBytes - read.BytesRead) / (read.BytesRead / seconds):F0} s");
        return string.Create(ci, $"{records:N0} documents, {tokens:N0} tokens, {mbs:F1} MB/s{eta}");
    }
}

/// <summary>Plain progress lines (not a terminal, or NO_COLOR): at most one per source every two seconds.</summary>
internal sealed class LineProgress(TextWriter output, TextWriter errors) : IBuildProgress
{
    private readonly Dictionary<string, (Dlm.Data.Sources.SourceReadContext Read, System.Diagnostics.Stopwatch Clock, double Last)> _running = [];

    public void Plan(CacheBuildPlan plan) => CacheCommand.PrintPlan(plan, output);

    public void Info(string line) => errors.WriteLine(line);

    public void SourceStarted(string source, Dlm.Data.Sources.SourceReadContext read)
    {
        lock (_running) _running[source] = (read, System.Diagnostics.Stopwatch.StartNew(), 0);
        errors.WriteLine($"{source}: building");
    }

    public void SourceProgress(string source, long records, long tokens)
    {
        lock (_running)
        {
            if (!_running.TryGetValue(source, out var s)) return;
            double t = s.Clock.Elapsed.TotalSeconds;
            if (t - s.Last < 2) return;
            _running[source] = s with { Last = t };
            errors.WriteLine($"{source}: {CacheCommand.Rate(records, tokens, s.Read, t)}");
        }
    }

    public void SourceFinished(SourceBuildResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        if (result.Status != SourceBuildStatus.Built) return;
        errors.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{result.Source}: done, {result.Records:N0} records, {result.TrainTokens + result.ValTokens:N0} tokens in {result.Seconds:F1} s"));
    }
}

/// <summary>One Spectre.Console progress bar per source, by bytes read, with documents, tokens, MB/s and ETA.</summary>
internal sealed class BarProgress(ProgressContext ctx, IAnsiConsole console, TextWriter output) : IBuildProgress
{
    private readonly Dictionary<string, (ProgressTask Task, Dlm.Data.Sources.SourceReadContext Read, System.Diagnostics.Stopwatch Clock)> _tasks = [];

    public void Plan(CacheBuildPlan plan) => CacheCommand.PrintPlan(plan, output);

    public void Info(string line) => console.MarkupLine(Markup.Escape(line));

    public void SourceStarted(string source, Dlm.Data.Sources.SourceReadContext read)
    {
        var task = ctx.AddTask(Markup.Escape(source), maxValue: Math.Max(1, read.TotalBytes));
        lock (_tasks) _tasks[source] = (task, read, System.Diagnostics.Stopwatch.StartNew());
    }

    public void SourceProgress(string source, long records, long tokens)
    {
        lock (_tasks)
        {
            if (!_tasks.TryGetValue(source, out var t)) return;
            t.Task.MaxValue = Math.Max(1, t.Read.TotalBytes);
            t.Task.Value = Math.Min(t.Read.BytesRead, t.Task.MaxValue);
            t.Task.Description = Markup.Escape($"{source}: {CacheCommand.Rate(records, tokens, t.Read, t.Clock.Elapsed.TotalSeconds)}");
        }
    }

    public void SourceFinished(SourceBuildResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        lock (_tasks)
            if (_tasks.TryGetValue(result.Source, out var t))
            {
                t.Task.Value = t.Task.MaxValue;
                t.Task.StopTask();
            }
    }
}
