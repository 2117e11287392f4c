using System.Text.Json.Nodes;

namespace Dlm.Cli.Tests;

/// <summary>`dlm bench sl --json` keeps its shape (the last line is one JSON object); speed itself is measured, not tested.</summary>
public class BenchSlTests
{
    [Fact]
    public void Json_output_has_the_loop_and_reference_rates()
    {
        var r = CliRunner.Run("bench", "sl", "--preset", "niels-tiny", "--datums", "12", "--steps", "1", "--json");
        Assert.True(r.ExitCode == 0, r.Stderr);
        var last = JsonNode.Parse(r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries)[^1])!.AsObject();
        Assert.True((double)last["loop_tokens_per_sec"]! > 0);
        Assert.True((double)last["train_tokens_per_sec"]! > 0);
        Assert.Equal((double)last["loop_tokens_per_sec"]! / (double)last["train_tokens_per_sec"]!, (double)last["ratio"]!, 1e-9);
        Assert.Equal(12, (int)last["datums"]!);
        Assert.InRange((int)last["min_length"]!, 2, 64);
        Assert.Equal(0, (double)last["train_alloc_bytes_per_step"]!);
    }
}
