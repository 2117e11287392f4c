using System.Text.Json;

namespace Dlm.Cli.Tests;

/// <summary>The CLI contract: user errors one line + exit 1, usage errors exit 2, success exit 0.</summary>
public class ErrorConventionTests
{
    [Fact]
    public void Version_prints_the_version()
    {
        var r = CliRunner.Run("--version");
        Assert.Equal(0, r.ExitCode);
        Assert.Matches(@"^\d+\.\d+\.\d+\s*$", r.Stdout);
    }

    [Fact]
    public void Help_lists_the_commands()
    {
        var r = CliRunner.Run("--help");
        Assert.Equal(0, r.ExitCode);
        Assert.Contains("doctor", r.Stdout);
    }

    [Fact]
    public void Unknown_option_is_a_usage_error_with_exit_2()
    {
        var r = CliRunner.Run("doctor", "--no-such-flag");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("--no-such-flag", r.Stderr);
        Assert.DoesNotContain("   at ", r.Stderr); // no stack trace
    }

    [Fact]
    public void Unknown_command_is_a_usage_error_with_exit_2()
    {
        var r = CliRunner.Run("frobnicate");
        Assert.Equal(2, r.ExitCode);
    }

    [Fact]
    public void User_error_is_one_line_on_stderr_with_exit_1()
    {
        var r = CliRunner.Run(new Dictionary<string, string> { ["DLM_BLAS"] = "fortran" }, null, "doctor");
        Assert.Equal(1, r.ExitCode);
        Assert.Equal(["dlm: DLM_BLAS must be 'managed', 'openblas' or 'per-shape', not 'fortran'"], r.StderrLines);
        Assert.Equal("", r.Stdout);
    }

    [Fact]
    public void Doctor_json_reports_backends_and_rates()
    {
        var r = CliRunner.Run(new Dictionary<string, string> { ["DLM_HOME"] = "/tmp/dlm-doctor-home" }, null, "doctor", "--json", "--gemm-shapes", "none");
        Assert.Equal(0, r.ExitCode);
        using var doc = JsonDocument.Parse(r.Stdout);
        var root = doc.RootElement;
        Assert.Equal("/tmp/dlm-doctor-home", root.GetProperty("dlm_home").GetString());
        Assert.True(root.GetProperty("threads").GetInt32() >= 1);
        Assert.False(string.IsNullOrEmpty(root.GetProperty("simd").GetString()));
        Assert.False(string.IsNullOrEmpty(root.GetProperty("managed_kernel").GetString()));
        var gemm = root.GetProperty("gemm").EnumerateArray().ToList();
        Assert.Contains(gemm, g => g.GetProperty("backend").GetString() == "managed");
        Assert.All(gemm, g => Assert.True(g.GetProperty("gflops").GetDouble() > 0));
        Assert.Equal(gemm[0].GetProperty("backend").GetString(), root.GetProperty("gemm_backend").GetString());
        // Training's default: the per-shape choice where OpenBLAS loads, the managed kernel where it does not.
        string training = root.GetProperty("open_blas_available").GetBoolean() ? "per-shape" : "managed";
        Assert.Equal(training, root.GetProperty("training_gemm").GetString());
        Assert.StartsWith(training + ":", root.GetProperty("training_gemm_selection").GetString());
    }

    [Fact]
    public void Doctor_bad_gemm_shape_set_is_a_usage_error()
    {
        var r = CliRunner.Run("doctor", "--gemm-shapes", "bert");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("--gemm-shapes", r.Stderr);
    }

    [Fact]
    public void Doctor_forced_managed_still_exits_0()
    {
        var r = CliRunner.Run(new Dictionary<string, string> { ["DLM_BLAS"] = "managed" }, null, "doctor", "--json", "--gemm-shapes", "none");
        Assert.Equal(0, r.ExitCode);
        using var doc = JsonDocument.Parse(r.Stdout);
        Assert.Equal("managed", doc.RootElement.GetProperty("gemm_backend").GetString());
    }
}
