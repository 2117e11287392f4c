using System.Text.Json.Nodes;

namespace Dlm.Cli.Tests;

/// <summary>`dlm bench decode --json` keeps its contract (ARCHITECTURE.md); speed itself is not tested.</summary>
public class BenchDecodeTests
{
    [Theory]
    [InlineData("f32")]
    [InlineData("bf16")]
    public void Json_output_has_the_contract_fields(string dtype)
    {
        var r = CliRunner.Run("bench", "decode", "--preset", "tiny", "--dtype", dtype, "--prompt-tokens", "24", "--new-tokens", "4",
            "--batch", "3", "--threads", "1", "--reference", "none", "--json");
        Assert.True(r.ExitCode == 0, r.Stderr);
        var last = JsonNode.Parse(r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries)[^1])!.AsObject();
        foreach (var key in new[] { "prefill_tokens_per_s", "decode_tokens_per_s", "batched_decode_tokens_per_s", "bandwidth_gb_per_s", "measured_read_bandwidth_gb_per_s" })
            Assert.True(last[key]!.GetValue<double>() > 0, key);
        Assert.Equal(dtype, last["dtype"]!.GetValue<string>());
        Assert.Equal(3, last["batch"]!.GetValue<int>());
        long bytes = last["weight_bytes_per_token"]!.GetValue<long>();
        // Per layer q|k|v 128x64, out 64x64, gate|up 256x64, down 64x128; two layers and the 2048x64 head.
        const long weights = 2 * (128 * 64 + 64 * 64 + 256 * 64 + 64 * 128) + 2048 * 64;
        Assert.Equal(weights * (dtype == "f32" ? 4 : 2), bytes);
    }

    [Fact]
    public void Profile_times_every_phase_and_the_phases_add_up_to_the_total()
    {
        var r = CliRunner.Run("bench", "decode", "--preset", "tiny", "--prompt-tokens", "16", "--new-tokens", "3",
            "--batch", "2", "--threads", "2", "--reference", "none", "--profile", "--json");
        Assert.True(r.ExitCode == 0, r.Stderr);
        var last = JsonNode.Parse(r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries)[^1])!.AsObject();
        foreach (var name in new[] { "profile_ms_per_step", "batched_profile_ms_per_step" })
        {
            var p = last[name]!.AsObject();
            string[] phases = ["embed", "norm", "qkv", "rope_cache", "attention", "out", "residual", "fc", "activation", "proj", "head"];
            double sum = phases.Sum(k => p[k]!.GetValue<double>());
            Assert.True(p["qkv"]!.GetValue<double>() > 0 && p["head"]!.GetValue<double>() > 0, name);
            Assert.Equal(p["total"]!.GetValue<double>(), sum, 0.02);
        }
    }

    [Fact]
    public void Rounds_report_the_median_of_each_rate_and_of_each_rounds_own_speedup()
    {
        var r = CliRunner.Run("bench", "decode", "--preset", "tiny", "--prompt-tokens", "16", "--new-tokens", "3",
            "--batch", "2", "--threads", "1", "--rounds", "3", "--reference", "none", "--json");
        Assert.True(r.ExitCode == 0, r.Stderr);
        var last = JsonNode.Parse(r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries)[^1])!.AsObject();
        Assert.Equal(3, last["rounds"]!.GetValue<int>());
        var rounds = last["per_round"]!.AsObject();
        foreach (var key in new[] { "prefill_tokens_per_s", "decode_tokens_per_s", "batched_decode_tokens_per_s", "batched_speedup" })
        {
            var values = rounds[key]!.AsArray().Select(x => x!.GetValue<double>()).Order().ToArray();
            Assert.Equal(3, values.Length);
            Assert.Equal(values[1], last[key]!.GetValue<double>(), 3);
        }
        Assert.Equal(3, r.StderrLines.Count(l => l.StartsWith("round ", StringComparison.Ordinal)));
    }

    [Theory]
    [InlineData("--preset", "nope")]
    [InlineData("--dtype", "q4")]
    [InlineData("--rounds", "0")]
    public void A_wrong_value_is_one_line_and_exit_2(string option, string value)
    {
        var r = CliRunner.Run("bench", "decode", option, value, "--reference", "none", "--json");
        Assert.Equal(2, r.ExitCode);
        Assert.Single(r.StderrLines);
    }
}
