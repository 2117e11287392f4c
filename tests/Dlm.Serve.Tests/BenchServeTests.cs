using Dlm.TestSupport;
using System.Text.Json.Nodes;

namespace Dlm.Serve.Tests;

/// <summary>`dlm bench serve` end to end on the tiny model: bounded loops, the last line one JSON object.</summary>
[Collection(ServeGroup.Name)]
public sealed class BenchServeTests(ServeFixture f)
{
    [Fact]
    public void Bench_serve_reports_each_level_as_the_last_json_line()
    {
        var r = CliRunner.Run("bench", "serve", "--model", f.Dir, "--streams", "1", "3", "--requests", "2", "--prompt-tokens", "4", "--max-tokens", "6", "--json");
        Assert.True(r.ExitCode == 0, r.Stderr);
        var last = JsonNode.Parse(r.Stdout.Trim().Split('\n')[^1])!;
        var levels = last["levels"]!.AsArray();
        Assert.Equal([1, 3], levels.Select(l => l!["streams"]!.GetValue<int>()));
        Assert.Equal([2 * 6, 6 * 6], levels.Select(l => l!["tokens"]!.GetValue<int>()));
        Assert.All(levels, l => Assert.True(l!["aggregate_tokens_per_s"]!.GetValue<double>() > 0 && l["ttft_ms_mean"]!.GetValue<double>() > 0));
        Assert.InRange(levels[1]!["largest_batch"]!.GetValue<int>(), 1, 3);
        Assert.True(last["aggregate_speedup"]!.GetValue<double>() > 0);
    }
}
