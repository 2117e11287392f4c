using System.Diagnostics;
using Dlm.TestSupport;

namespace Dlm.Serve.Tests;

/// <summary>Runs the real `dlm` program (the dll built beside the tests) in a child process.</summary>
public static class DlmProcess
{
    public sealed record Result(int ExitCode, string Stdout, string Stderr);

    public static ProcessStartInfo StartInfo(params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = RepoPaths.Root,
        };
        psi.ArgumentList.Add("exec");
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "dlm.dll"));
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["NO_COLOR"] = "1";
        return psi;
    }

    public static Result Run(params string[] args)
    {
        using var p = Process.Start(StartInfo(args))!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        p.StandardInput.Close();
        if (!p.WaitForExit(120_000)) { p.Kill(true); throw new TimeoutException($"dlm {string.Join(' ', args)} did not finish"); }
        return new Result(p.ExitCode, stdout.Result, stderr.Result);
    }
}
