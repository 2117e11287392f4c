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
    public void Masked_vs_full_reports_every_round_and_their_median()
    {
        var r = CliRunner.Run("bench", "train", "--preset", "niels-tiny", "--masked-vs-full", "--rounds", "3", "--steps", "1", "--warmup", "1",
            "--threads", "2", "--json");
        Assert.True(r.ExitCode == 0, r.Stderr);
        var last = JsonNode.Parse(r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries)[^1])!.AsObject();
        var rounds = last["rounds"]!.AsArray();
        Assert.Equal(3, rounds.Count);
        Assert.Equal(2, last["threads"]!.GetValue<int>());
        // The order alternates, so a drift of the machine's load falls on both kinds.
        Assert.Equal([true, false, true], rounds.Select(x => x!["full_first"]!.GetValue<bool>()));
        var ratios = rounds.Select(x => x!["ratio"]!.GetValue<double>()).Order().ToArray();
        Assert.All(ratios, x => Assert.True(x > 0));
        Assert.Equal(ratios[1], last["median_ratio"]!.GetValue<double>(), 12);
        Assert.Equal(3, r.StderrLines.Count(l => l.StartsWith("round ", StringComparison.Ordinal)));
        // Each half of a round says where its time went and what else ran meanwhile.
        foreach (var half in rounds.SelectMany(x => new[] { x!["full"]!, x["masked"]! }))
        {
            var phases = half["phase_ms"]!.AsObject();
            Assert.True(phases["lmhead.forward"]!.GetValue<double>() >= 0 && phases["optimizer"]!.GetValue<double>() >= 0);
            Assert.True(phases.Sum(p => p.Value!.GetValue<double>()) > 0);
            Assert.True(half["jit_methods"]!.GetValue<long>() >= 0 && half["jit_ms"]!.GetValue<double>() >= 0);
            Assert.True(half["collections"]!.GetValue<int>() >= 0);
            Assert.True(half["subnormal_gradients"]!.GetValue<long>() >= 0 && half["subnormal_moments"]!.GetValue<long>() >= 0);
            if (OperatingSystem.IsLinux()) Assert.True(half["steal_s"]!.GetValue<double>() >= 0);
        }
    }

    [Fact]
    public void The_pytorch_reference_runs_the_same_model_in_the_same_run_or_says_why_not()
    {
        var r = CliRunner.Run("bench", "train", "--preset", "niels-tiny", "--steps", "1", "--warmup", "1", "--threads", "1", "--reference", "pytorch", "--json");
        Assert.True(r.ExitCode == 0, r.Stderr);
        var last = JsonNode.Parse(r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries)[^1])!.AsObject();
        var torch = last["pytorch"]!.AsObject();
        if (torch["skipped"] is { } why)
        {
            Assert.False(string.IsNullOrWhiteSpace(why.GetValue<string>()));
            return;
        }
        Assert.Equal(last["flops_per_token"]!.GetValue<double>(), torch["flops_per_token"]!.GetValue<double>());
        Assert.Equal(last["matmul_params"]!.GetValue<long>(), torch["matmul_params"]!.GetValue<long>());
        Assert.Equal(1, torch["threads"]!.GetValue<int>());
        Assert.True(last["vs_pytorch"]!.GetValue<double>() > 0);
        Assert.True(last["cpu_vs_pytorch"]!.GetValue<double>() > 0);
        // Both start from N(0, 0.02) weights on random tokens: the loss is near ln(V) in both.
        Assert.InRange(torch["loss_first"]!.GetValue<double>(), Math.Log(512) - 0.2, Math.Log(512) + 0.2);
        Assert.InRange(last["loss_first"]!.GetValue<double>(), Math.Log(512) - 0.2, Math.Log(512) + 0.2);
    }

    [Theory]
    [InlineData("--reference", "tensorflow")]
    [InlineData("--threads", "0")]
    public void A_wrong_reference_or_thread_count_is_a_usage_error(string option, string value)
    {
        var r = CliRunner.Run("bench", "train", "--preset", "niels-tiny", option, value, "--json");
        Assert.Equal(2, r.ExitCode);
        Assert.Single(r.StderrLines);
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
