using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Dlm.Cli.Commands;

/// <summary>
/// Runs a reference implementation for a benchmark (a script or project under tools/reference) that
/// prints its result as one JSON object on the last line of stdout. A reference that cannot run gives
/// null and the reason, which the benchmark reports as skipped.
/// </summary>
internal static class ReferenceRun
{
    /// <summary>Runs <paramref name="program"/> and parses its last stdout line; <paramref name="missing"/> is the reason when the program is not installed.</summary>
    public static JsonObject? Json(string program, IEnumerable<string> args, string missing, out string why, IReadOnlyDictionary<string, string>? env = null)
    {
        var psi = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        if (env is not null) foreach (var (k, v) in env) psi.Environment[k] = v;
        try
        {
            using var p = Process.Start(psi)!;
            var stdout = p.StandardOutput.ReadToEndAsync();
            var stderr = p.StandardError.ReadToEndAsync();
            p.WaitForExit();
            if (p.ExitCode != 0) { why = "reference script failed: " + stderr.Result.Trim().Split('\n').LastOrDefault(); return null; }
            why = "";
            return JsonNode.Parse(stdout.Result.Trim().Split('\n')[^1])?.AsObject();
        }
        catch (System.ComponentModel.Win32Exception)
        {
            why = missing;
            return null;
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            why = "reference script printed no JSON object: " + e.Message;
            return null;
        }
    }

    /// <summary>
    /// tools/reference/<paramref name="name"/> in the checkout dlm runs from (searched upwards from the
    /// program, then the current folder); with <paramref name="needsPackages"/> only where the npm
    /// reference packages are installed beside it (.cache/reference/node_modules).
    /// </summary>
    public static string? FindScript(string name, bool needsPackages = false)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var s = Path.Combine(dir.FullName, "tools", "reference", name);
            if (File.Exists(s) && (!needsPackages || Directory.Exists(Path.Combine(dir.FullName, ".cache", "reference", "node_modules")))) return s;
        }
        var cwd = Path.Combine(Directory.GetCurrentDirectory(), "tools", "reference", name);
        return File.Exists(cwd) ? cwd : null;
    }
}
