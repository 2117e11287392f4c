using System.Text.Json.Nodes;

namespace Dlm.Cli.Tests;

/// <summary>`dlm bench train --json` keeps its contract (ARCHITECTURE.md); speed itself is not tested.</summary>
public class BenchTrainTests
{
    [Fact]
    public void Json_output_has_the_contract_fields()
    {
        var r = CliRunner.Run("bench", "train", "--preset", "niels-tiny", "--steps", "2", "--warmup", "1", "--json");
        Assert.True(r.ExitCode == 0, r.Stderr);
        var last = JsonNode.Parse(r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries)[^1])!.AsObject();
        foreach (var key in new[] { "tokens_per_sec", "gflops", "mfu", "alloc_bytes_per_step" })
            Assert.True(last[key]!.GetValue<double>() >= 0, key);
        Assert.True(last["tokens_per_sec"]!.GetValue<double>() > 0);
        Assert.Contains("attention.forward", last["phase_ms"]!.AsObject().Select(kv => kv.Key));
    }

    [Fact]
    public void Masked_weights_the_second_half_only_and_says_so()
    {
        var r = CliRunner.Run("bench", "train", "--preset", "niels-tiny", "--steps", "1", "--warmup", "1", "--json", "--masked");
        Assert.True(r.ExitCode == 0, r.Stderr);
        var last = JsonNode.Parse(r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries)[^1])!.AsObject();
        Assert.True(last["masked"]!.GetValue<bool>());
        Assert.True(double.IsFinite(last["loss_first"]!.GetValue<double>()));
        Assert.True(last["phase_ms"]!["lmhead.backward"]!.GetValue<double>() > 0);
    }

    [Fact]
    public void Lora_at_another_sequence_length_keeps_the_tokens_per_step_and_reports_memory()
    {
        var r = CliRunner.Run("bench", "train", "--preset", "niels-tiny", "--lora", "--seq", "32", "--steps", "1", "--warmup", "1", "--json");
        Assert.True(r.ExitCode == 0, r.Stderr);
        var last = JsonNode.Parse(r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries)[^1])!.AsObject();
        Assert.Equal(32, last["seq_len"]!.GetValue<int>());
        Assert.Equal(8, last["batch"]!.GetValue<int>()); // niels-tiny is 4 x 64
        Assert.StartsWith("r=8 alpha=16", last["lora"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.True(last["trainable_params"]!.GetValue<long>() < last["params"]!.GetValue<long>());
        Assert.True(last["peak_rss_mb"]!.GetValue<double>() > 0);
        Assert.Equal(0, last["alloc_bytes_per_step"]!.GetValue<double>());
    }

    [Fact]
    public void An_unknown_preset_is_one_line_and_exit_1()
    {
        var r = CliRunner.Run("bench", "train", "--preset", "nope", "--json");
        Assert.Equal(1, r.ExitCode);
        Assert.Single(r.StderrLines);
        Assert.Contains("niels-default", r.Stderr, StringComparison.Ordinal);
    }
}
