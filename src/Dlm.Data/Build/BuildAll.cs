using System.Diagnostics;
using System.Text;
using Dlm.Core;
using Dlm.Data.Caches;
using Dlm.Data.Settings;

namespace Dlm.Data.Build;

/// <summary>The outcome of <see cref="BuildAll.Run"/>.</summary>
/// <param name="Plan">What was planned.</param>
/// <param name="Results">One row per source, pretrain first, in plan order.</param>
public sealed record BuildAllReport(CacheBuildPlan Plan, IReadOnlyList<SourceBuildResult> Results);

/// <summary>
/// <c>build-all</c> exactly as REFERENCE.md R1: the plan first; every pretrain source of
/// <c>mix_pretrain</c> and SFT source of <c>mix_sft</c> (and the primer, always); a complete cache
/// built with the same tokenizer hash and source options is skipped (<c>already exists, skipping</c>),
/// any other rebuilt; a failing source is reported and the others still built; then both trees are
/// validated and every missing path is listed in one multi-line error.
/// </summary>
public static class BuildAll
{
    /// <summary>Builds what <paramref name="settings"/> needs with <paramref name="builders"/> (the real ones when null).</summary>
    /// <exception cref="DlmException">The tokenizer cannot be loaded, or validation finds missing paths.</exception>
    public static BuildAllReport Run(DataSettings settings, CacheBuilders? builders = null, IBuildProgress? progress = null,
        int? threads = null, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(settings);
        builders ??= CacheBuilders.Default;
        progress ??= SilentProgress.Instance;
        var plan = CacheBuildPlan.For(settings);
        progress.Plan(plan);
        var tokenizer = CacheTokenizer.Load(settings.Tokenizer);
        int n = threads ?? DataThreads.Resolve();

        var results = new List<SourceBuildResult>();
        var failures = new List<string>();
        foreach (var (source, side, dir) in plan.PretrainSources.Select(s => (s, "pretrain", plan.PretrainDir(s.Name)))
                     .Concat(plan.SftSources.Select(s => (s, "sft", plan.SftDir(s.Name)))))
        {
            cancellation.ThrowIfCancellationRequested();
            var options = SourceFingerprint.Of(source, settings);
            if (CacheMeta.IsCurrent(dir, tokenizer.Sha256, options, out var why))
            {
                progress.Info($"{side}/{source.Name}: {dir} already exists, skipping");
                var skipped = Skipped(source.Name, side, dir);
                results.Add(skipped);
                progress.SourceFinished(skipped);
                continue;
            }
            if (why != "not built") progress.Info($"{side}/{source.Name}: rebuilding ({why})");
            var builder = side == "pretrain" ? builders.Pretrain : source.Name == "primer" ? builders.Primer : builders.Sft;
            var sw = Stopwatch.StartNew();
            SourceBuildResult result;
            try
            {
                result = builder.Build(new SourceBuildRequest(source, settings, tokenizer, dir, n, progress, cancellation));
            }
            catch (DlmException e)
            {
                failures.Add($"{side}/{source.Name}: {e.Message}");
                progress.Info($"{side}/{source.Name}: failed: {e.Message}");
                result = new SourceBuildResult { Source = source.Name, Side = side, Status = SourceBuildStatus.Failed, Path = dir, Seconds = sw.Elapsed.TotalSeconds, Error = e.Message };
            }
            results.Add(result);
            progress.SourceFinished(result);
        }

        var missing = plan.RequiredPaths().Where(p => !File.Exists(p) && !Directory.Exists(p)).ToList();
        if (missing.Count > 0)
        {
            var sb = new StringBuilder();
            foreach (var f in failures) sb.Append(f).Append('\n');
            sb.Append("cache validation failed; missing:");
            foreach (var m in missing) sb.Append("\n  ").Append(m);
            throw new DlmException(sb.ToString());
        }
        return new BuildAllReport(plan, results);
    }

    private static SourceBuildResult Skipped(string source, string side, string dir)
    {
        var meta = CacheMeta.Read(dir)!.Value;
        long Get(string k) => meta.TryGetProperty(k, out var v) && v.ValueKind == System.Text.Json.JsonValueKind.Number ? v.GetInt64() : 0;
        return new SourceBuildResult
        {
            Source = source,
            Side = side,
            Status = SourceBuildStatus.Skipped,
            Path = dir,
            Records = side == "sft" ? Get("train_examples") + Get("val_examples") : Get("documents"),
            TrainTokens = Get("train_tokens"),
            ValTokens = Get("val_tokens"),
            TrainExamples = Get("train_examples"),
            ValExamples = Get("val_examples"),
            SkippedRecords = side == "sft" ? Get("dropped_malformed_examples") + Get("dropped_untrained_examples") : Get("skipped_records"),
            CutExamples = Get("cut_examples"),
        };
    }
}
