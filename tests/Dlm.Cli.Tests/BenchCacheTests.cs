using System.Text.Json;

namespace Dlm.Cli.Tests;

/// <summary>`dlm bench cache --json`: the last line is one JSON object with both rates and their ratio.</summary>
public class BenchCacheTests
{
    [Fact]
    public void Bench_cache_ends_with_one_json_line()
    {
        // Two warm-up pairs and one pass and one build per round keep the test short; the real bench warms up until the JIT settles.
        var r = CliRunner.Run("bench", "cache", "--json", "--rounds", "2", "--max-warmup", "2", "--round-seconds", "0", "--profile", "--memory-input-mb", "2");
        Assert.True(r.ExitCode == 0, r.Stderr);
        var lines = r.Stdout.TrimEnd().Split('\n');
        var j = JsonDocument.Parse(lines[^1]).RootElement;
        Assert.Equal(500, j.GetProperty("documents").GetInt32());
        Assert.True(j.GetProperty("tokenize_all_threads_mb_per_s").GetDouble() > 0);
        Assert.True(j.GetProperty("build_mb_per_s").GetDouble() > 0);
        Assert.True(j.GetProperty("build_vs_tokenize_ratio").GetDouble() > 0);
        Assert.True(j.GetProperty("cpu_ratio").GetDouble() > 0);
        Assert.Equal(2, j.GetProperty("rounds").GetInt32());
        Assert.Equal(2, j.GetProperty("round_ratios").GetArrayLength());
        Assert.Equal(2, j.GetProperty("round_jit_ms").GetArrayLength());
        Assert.Equal(1, j.GetProperty("builds_per_round").GetInt32());
        Assert.Equal(2, j.GetProperty("warmup_pairs").GetInt32());
        Assert.Equal(2, j.GetProperty("profiled_builds").GetInt32());
        var phases = j.GetProperty("profiled_build_phases_ms");
        Assert.True(phases.GetProperty("tokenize").GetDouble() > phases.GetProperty("read").GetDouble());
        Assert.True(phases.TryGetProperty("special_check", out _));
        Assert.True(phases.TryGetProperty("other", out _));
        Assert.True(j.GetProperty("peak_rss_mb").GetDouble() > 0);
        Assert.Equal(2_000_000, j.GetProperty("memory_input_bytes").GetInt64());
    }
}
