using System.Diagnostics;
using Dlm.TestSupport;
using Dlm.Training.Tests;
using Dlm.Training.Tests.FromScratch;

namespace Dlm.Cli.Tests;

/// <summary>
/// `dlm pretrain` / `dlm pipeline` as a user runs them: killed with SIGKILL mid-run and restarted, the
/// run continues from latest and ends bit-identical to an uninterrupted one; Ctrl-C (SIGINT) stops at a
/// step boundary with exit 130 and a rerun resumes; missing caches fail in one line naming build-all.
/// </summary>
public class ScratchCommandsTests
{
    private static string[] Pretrain(string run) =>
        ["pretrain", "--settings", ScratchFixture.Settings, $"run.dir={run}", "pretrain.max_steps=60", "model.dropout=0.1"];

    private static Process Start(string[] args) => CliRunner.Start(RepoPaths.Root, null, args);

    private static void WaitFor(Func<bool> condition, Process p)
    {
        var clock = Stopwatch.StartNew();
        while (!condition() && !p.HasExited && clock.Elapsed < TimeSpan.FromMinutes(2)) Thread.Sleep(2);
    }

    private static string Latest(string run) => Path.Combine(run, "pretrain", "checkpoints", "latest", "trainer_state.json");

    private static void AssertSameRun(string straight, string other)
    {
        foreach (var f in new[] { Path.Combine("latest", "model.safetensors"), Path.Combine("latest", "state.safetensors"), Path.Combine("best", "model.safetensors") })
            Assert.True(ScratchFixture.SameBytes(Path.Combine(straight, "pretrain", "checkpoints", f), Path.Combine(other, "pretrain", "checkpoints", f)), $"{f} differs");
        Assert.Equal(ScratchFixture.Metrics(Path.Combine(straight, "pretrain")), ScratchFixture.Metrics(Path.Combine(other, "pretrain")));
    }

    [Fact]
    public async Task Kill_9_mid_run_then_rerun_ends_bit_identical_and_ctrl_c_stops_cleanly()
    {
        var dir = TinyModels.TempDir();
        var straight = Path.Combine(dir, "straight");
        var r = CliRunner.Run(Pretrain(straight));
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains("pretrain: complete (60 steps, max_steps", r.Stdout, StringComparison.Ordinal);

        // kill -9 once latest exists (step 10 or later), before the end.
        var killed = Path.Combine(dir, "killed");
        using (var p = Start(Pretrain(killed)))
        {
            WaitFor(() => File.Exists(Latest(killed)), p);
            p.Kill(); // SIGKILL on Unix: no cleanup runs
            p.WaitForExit();
        }
        Assert.True(File.Exists(Latest(killed)));
        Assert.False(File.Exists(Path.Combine(killed, "pretrain", "stage.json")), "the run ended before the kill");
        r = CliRunner.Run(Pretrain(killed));
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains("pretrain: resuming from ", r.Stdout, StringComparison.Ordinal);
        AssertSameRun(straight, killed);

        // Ctrl-C: stops at a step boundary, saves latest, exits 130; the rerun resumes and ends the same.
        var interrupted = Path.Combine(dir, "interrupted");
        using (var p = Start(Pretrain(interrupted)))
        {
            var stdout = p.StandardOutput.ReadToEndAsync();
            var stderr = p.StandardError.ReadToEndAsync();
            WaitFor(() => File.Exists(Path.Combine(interrupted, "pretrain", "metrics.jsonl")) && File.ReadAllLines(Path.Combine(interrupted, "pretrain", "metrics.jsonl")).Length > 3, p);
            using (var kill = Process.Start("kill", ["-INT", p.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])) kill.WaitForExit();
            Assert.True(p.WaitForExit(60_000));
            var (output, errors) = (await stdout, await stderr);
            Assert.True(p.ExitCode == 130, $"exit {p.ExitCode}: {errors}");
            Assert.Contains("stopping at the next step boundary", errors, StringComparison.Ordinal);
            Assert.Contains("rerun to resume", output, StringComparison.Ordinal);
        }
        Assert.True(File.Exists(Latest(interrupted)));
        r = CliRunner.Run(Pretrain(interrupted));
        Assert.True(r.ExitCode == 0, r.Stderr);
        AssertSameRun(straight, interrupted);

        // A third run finds the stage complete.
        r = CliRunner.Run(Pretrain(interrupted));
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains("already complete", r.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void Missing_caches_fail_in_one_line_naming_build_all()
    {
        var dir = TinyModels.TempDir();
        var settings = Path.Combine(dir, "settings.yaml");
        File.WriteAllText(settings, ScratchFixture.Yaml(Path.Combine(dir, "cache")));
        var r = CliRunner.Run("pipeline", "--settings", settings, $"run.dir={dir}/run");
        Assert.Equal(1, r.ExitCode);
        var line = Assert.Single(r.StderrLines);
        Assert.StartsWith("dlm: missing pretrain caches: ", line, StringComparison.Ordinal);
        Assert.EndsWith($"build them with: dlm cache build-all --settings {settings}", line, StringComparison.Ordinal);
    }
}
