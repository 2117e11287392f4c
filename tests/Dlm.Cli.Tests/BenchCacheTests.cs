using System.Text.Json;

namespace Dlm.Cli.Tests;

/// <summary>`dlm bench cache --json`: the last line is one JSON object with both rates and their ratio.</summary>
public class BenchCacheTests
{
    [Fact]
    public void Bench_cache_ends_with_one_json_line()
    {
        var r = CliRunner.Run("bench", "cache", "--json", "--rounds", "2", "--memory-input-mb", "2");
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
        Assert.True(j.GetProperty("peak_rss_mb").GetDouble() > 0);
        Assert.Equal(2_000_000, j.GetProperty("memory_input_bytes").GetInt64());
    }
}
