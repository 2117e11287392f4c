namespace Dlm.Cli.Tests;

/// <summary>`dlm bench export --json` ends with one JSON object holding the rates and the copy reference; speed itself is not tested.</summary>
public class BenchExportTests
{
    [Fact]
    public void Json_output_has_rates_and_the_copy_reference()
    {
        var r = CliRunner.Run("bench", "export", "--shape", "tiny", "--rounds", "1", "--types", "f16,q8_0", "--json");
        Assert.True(r.ExitCode == 0, r.Stderr);
        var last = System.Text.Json.Nodes.JsonNode.Parse(r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries)[^1])!.AsObject();
        foreach (var key in new[] { "copy_mb_per_s", "f16_mb_per_s", "q8_0_mb_per_s", "f16_vs_copy", "q8_0_encode_mb_per_s" })
            Assert.True(last[key]!.GetValue<double>() > 0, key);
        Assert.True(last["q8_0_bytes"]!.GetValue<long>() < last["f16_bytes"]!.GetValue<long>());
    }

    [Fact]
    public void An_unknown_type_is_usage()
    {
        var r = CliRunner.Run("bench", "export", "--types", "q4_0");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("q4_0", r.Stderr);
    }
}
