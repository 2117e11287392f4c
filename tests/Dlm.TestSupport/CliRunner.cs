using System.Diagnostics;

namespace Dlm.TestSupport;

/// <summary>Runs the real `dlm` program (the dlm.dll a test project copies beside itself) in a child process, as a user would.</summary>
public static class CliRunner
{
    public sealed record Result(int ExitCode, string Stdout, string Stderr)
    {
        public string[] StderrLines => Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
    }

    public static Result Run(IDictionary<string, string>? env = null, string? stdin = null, params string[] args) =>
        RunIn(RepoPaths.Root, env, stdin, args);

    /// <summary>Runs dlm with <paramref name="workingDirectory"/> as its current folder (for relative paths in messages).</summary>
    public static Result RunIn(string workingDirectory, IDictionary<string, string>? env, string? stdin, params string[] args)
    {
        using var p = Start(workingDirectory, env, args, closeStdin: false);
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (stdin is not null) p.StandardInput.Write(stdin);
        p.StandardInput.Close();
        if (!p.WaitForExit(120_000)) { p.Kill(true); throw new TimeoutException($"dlm {string.Join(' ', args)} did not finish"); }
        return new Result(p.ExitCode, stdout.Result, stderr.Result);
    }

    /// <summary>
    /// Starts the real dlm (NO_COLOR set, stdout and stderr redirected, stdin closed unless asked otherwise) and
    /// returns at once, for tests that signal or kill it mid-run. The caller reads or drains the output.
    /// </summary>
    public static Process Start(string workingDirectory, IDictionary<string, string>? env, IEnumerable<string> args, bool closeStdin = true)
    {
        var psi = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory,
        };
        psi.ArgumentList.Add("exec");
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "dlm.dll"));
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["NO_COLOR"] = "1";
        if (env is not null) foreach (var (k, v) in env) psi.Environment[k] = v;
        var p = Process.Start(psi)!;
        if (closeStdin) p.StandardInput.Close();
        return p;
    }

    public static Result Run(params string[] args) => Run(null, null, args);
}
