using System.Text.Json;

namespace Dlm.Cli.Tests;

/// <summary>`dlm bench gemm --json`: the last line is one JSON object with a rate per backend and shape.</summary>
public class BenchGemmTests
{
    [Fact]
    public void Json_reports_rates_for_the_managed_kernel()
    {
        var r = CliRunner.Run("bench", "gemm", "--json", "--seconds", "0", "--shapes", "square", "--backend", "managed", "--threads", "1");
        Assert.Equal(0, r.ExitCode);
        var last = r.Stdout.TrimEnd().Split('\n')[^1];
        using var doc = JsonDocument.Parse(last);
        var text = doc.RootElement.GetRawText();
        Assert.Contains("managed", text);
        Assert.Contains("gflops", text);
        var row = doc.RootElement.GetProperty("results")[0];
        Assert.True(row.GetProperty("managed_gflops").GetDouble() > 0);
        if (OperatingSystem.IsLinux()) Assert.True(row.GetProperty("managed_cpu_gflops").GetDouble() > 0);
    }

    [Fact]
    public void Bad_shape_set_is_a_usage_error()
    {
        var r = CliRunner.Run("bench", "gemm", "--shapes", "model");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("--shapes", r.Stderr);
    }

    [Fact]
    public void Bad_backend_is_a_usage_error()
    {
        var r = CliRunner.Run("bench", "gemm", "--backend", "cuda");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("--backend", r.Stderr);
    }
}
