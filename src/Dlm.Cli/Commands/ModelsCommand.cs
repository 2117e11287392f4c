using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Dlm.Cli.Output;
using Dlm.Core;
using Dlm.Hub;
using Spectre.Console;

namespace Dlm.Cli.Commands;

/// <summary>
/// `dlm models`: the base-model registry and which bases are in the Hugging Face cache;
/// `dlm models pull` downloads one into that cache.
/// </summary>
internal static class ModelsCommand
{
    public static Command Create()
    {
        var json = new Option<bool>("--json") { Description = "One JSON array instead of a table." };
        var cmd = new Command("models",
            "List the base-model registry (key, Hugging Face id, pinned revision, renderer, context, licence, gated) and mark what is in the local Hugging Face cache.")
        { json };
        cmd.SetAction(parse =>
        {
            List(HubOptions.FromEnvironment(), parse.GetValue(json));
            return CliApp.ExitOk;
        });
        cmd.Subcommands.Add(CreatePull());
        return cmd;
    }

    private sealed record Row(string Key, string HfId, string Revision, string Renderer, int Context, string License, bool Gated, bool Cached, string? Path);

    private static void List(HubOptions options, bool asJson)
    {
        var cache = new HubCache(options.CacheDir);
        var rows = BaseRegistry.All.Select(e =>
        {
            var snap = cache.SnapshotDir(e.Repo, e.Revision);
            bool cached = HubCache.MissingModelFiles(snap).Count == 0;
            return new Row(e.Key, e.Repo, e.Revision, e.Renderer, e.ContextLength, e.License, e.Gated, cached, cached ? snap : null);
        }).ToList();
        if (asJson)
        {
            Console.WriteLine(JsonSerializer.Serialize(rows, Json.Indented));
            return;
        }
        // Plain aligned columns: readable in a terminal and in a pipe alike (no wrapping at 80 columns).
        string[] header = ["key", "hf id", "revision", "renderer", "context", "licence", "gated", "cached"];
        var cells = rows.Select(r => new[]
        {
            r.Key, r.HfId, r.Revision[..7], r.Renderer, r.Context.ToString(CultureInfo.InvariantCulture), r.License,
            r.Gated ? "yes" : "-", r.Cached ? "yes" : "-",
        }).Prepend(header).ToList();
        var widths = Enumerable.Range(0, header.Length).Select(c => cells.Max(row => row[c].Length)).ToArray();
        foreach (var row in cells)
            Console.WriteLine(string.Join("  ", row.Select((v, c) => c == row.Length - 1 ? v : v.PadRight(widths[c]))));
        Console.WriteLine($"cache: {cache.Root}");
    }

    private static Command CreatePull()
    {
        var spec = new Argument<string>("model") { Description = "A registry key (see `dlm models`) or hf:org/name." };
        var revision = new Option<string?>("--revision") { Description = "A branch or commit instead of the registry's pin (hf: defaults to main, pinned to its commit)." };
        var offline = new Option<bool>("--offline") { Description = "Use the local cache only (as HF_HUB_OFFLINE=1); a missing file is an error." };
        var accept = new Option<bool>(BaseModelResolver.AcceptLicenseFlag) { Description = "Accept the licence of a gated model (Llama); HF_TOKEN must belong to an account with access." };
        var json = new Option<bool>("--json") { Description = "Print the result as one JSON object." };
        var cmd = new Command("pull",
            "Download a base model (config, tokenizer, safetensors) into the Hugging Face cache, resuming a partial download and checking sha256.")
        { spec, revision, offline, accept, json };
        cmd.SetAction(async (parse, ct) =>
        {
            var options = HubOptions.FromEnvironment();
            if (parse.GetValue(offline)) options = options with { Offline = true };
            var name = parse.GetValue(spec)!;
            if (!name.StartsWith("hf:", StringComparison.Ordinal) && BaseRegistry.Find(name) is null)
                throw new DlmException($"unknown model '{name}': expected a registry key ({string.Join(", ", BaseRegistry.All.Select(e => e.Key))}) or hf:org/name");
            var resolved = await new BaseModelResolver(options).ResolveAsync(name, parse.GetValue(accept), parse.GetValue(revision), ct);
            using var downloader = new ModelDownloader(options);
            bool asJson = parse.GetValue(json);
            var result = !asJson && AnsiConsole.Profile.Capabilities.Interactive && Environment.GetEnvironmentVariable("NO_COLOR") is null
                ? await WithProgressBar(downloader, resolved, ct)
                : await downloader.DownloadAsync(resolved.Repo!, resolved.Revision!, new PlainProgress(), ct);
            if (asJson)
            {
                Console.WriteLine(JsonSerializer.Serialize(new
                {
                    resolved.Key, resolved.Repo, result.Commit, Snapshot = result.SnapshotDir, result.Files, result.BytesDownloaded, result.FromCache,
                    resolved.Renderer, resolved.ContextLength, resolved.License, resolved.Gated, resolved.LicenseAccepted,
                }, Json.Indented));
                return CliApp.ExitOk;
            }
            var how = result.FromCache ? "all in the cache"
                : string.Create(CultureInfo.InvariantCulture, $"{result.BytesDownloaded / 1e6:F1} MB downloaded");
            Console.WriteLine($"{resolved.Repo}@{result.Commit}: {result.Files.Count} files, {how}");
            Console.WriteLine(result.SnapshotDir);
            return CliApp.ExitOk;
        });
        return cmd;
    }

    private static async Task<DownloadResult> WithProgressBar(ModelDownloader downloader, ResolvedBase resolved, CancellationToken ct)
    {
        DownloadResult? result = null;
        await AnsiConsole.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new DownloadedColumn(),
                new TransferSpeedColumn(), new RemainingTimeColumn())
            .StartAsync(async ctx =>
            {
                result = await downloader.DownloadAsync(resolved.Repo!, resolved.Revision!, new BarProgress(ctx), ct);
            });
        return result!;
    }

    /// <summary>One progress task per file, created on its first report (reports come from several threads).</summary>
    private sealed class BarProgress(ProgressContext ctx) : IProgress<DownloadProgress>
    {
        private readonly Dictionary<string, ProgressTask> _tasks = new(StringComparer.Ordinal);
        public void Report(DownloadProgress p)
        {
            lock (_tasks)
            {
                if (!_tasks.TryGetValue(p.File, out var task))
                    _tasks[p.File] = task = ctx.AddTask(Markup.Escape(p.File), maxValue: Math.Max(1, p.Total ?? p.Done));
                if (p.Total is { } total) task.MaxValue = Math.Max(1, total);
                task.Value = p.Finished ? task.MaxValue : p.Done;
            }
        }
    }

    /// <summary>Not a terminal: one line on stderr per finished file.</summary>
    private sealed class PlainProgress : IProgress<DownloadProgress>
    {
        public void Report(DownloadProgress p)
        {
            if (!p.Finished) return;
            Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{(p.FromCache ? "cached" : "downloaded")} {p.File} ({p.Done} bytes)"));
        }
    }
}
