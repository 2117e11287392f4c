using System.Diagnostics;
using System.Text.Json;
using Dlm.Chat.Renderers;
using Dlm.TestSupport;

namespace Dlm.Cli.Tests;

/// <summary>
/// `dlm demo` end to end on a slice of the Brown corpus with a tiny model and a step cap: the first
/// run makes every stage, a second reuses every one and says so; a run killed with SIGKILL in
/// pretraining resumes and completes; Ctrl-C (SIGINT) stops cleanly.
/// </summary>
public sealed class DemoTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("dlm-demo-").FullName;
    private readonly string _corpus;

    public DemoTests()
    {
        // 16 news files (~1/30 of Brown): enough text for an 8k-token val split and a few hundred windows.
        _corpus = Path.Combine(_root, "brown");
        Directory.CreateDirectory(_corpus);
        foreach (var f in Directory.GetFiles(ReferenceData.BrownCorpus, "ca*").Order(StringComparer.Ordinal).Take(16))
            File.Copy(f, Path.Combine(_corpus, Path.GetFileName(f)));
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);

    // A tiny model on short windows and small batches, so that each run takes seconds.
    private string[] Args(string outDir, int steps) =>
    [
        "demo", "--corpus", _corpus, "--out", outDir, "--model", "preset:niels-tiny", "--steps", $"{steps}", "--vocab-size", "1024", "--minutes", "30",
        "model.context_length=64", "pretrain.batch_size=4", "sft.batch_size=4", "pretrain.eval_batches=2", "sft.eval_batches=2",
    ];

    private Dictionary<string, string> Env => new() { ["DLM_HOME"] = Path.Combine(_root, "home") };

    private static readonly string[] Stages = ["corpus", "tokenizer", "settings", "caches", "pretrain", "sft"];

    [Fact]
    public void First_run_makes_every_stage_and_a_second_reuses_them_all()
    {
        var outDir = Path.Combine(_root, "out");
        var first = CliRunner.Run(Env, null, Args(outDir, 16));
        Assert.True(first.ExitCode == 0, first.Stdout + first.Stderr);
        Assert.Contains("[1/7] corpus: reused: 16 Brown corpus files", first.Stdout);
        foreach (var (stage, i) in Stages.Select((s, i) => (s, i)).Skip(1))
            Assert.Contains($"[{i + 1}/7] {stage}: done: ", first.Stdout);
        Assert.Contains("validation loss (nats per token):", first.Stdout);
        Assert.Contains(Path.Combine(outDir, "runs", "pretrain", "loss.png"), first.Stdout);
        Assert.True(File.Exists(Path.Combine(outDir, "runs", "pretrain", "loss.png")));
        Assert.Contains("sampled replies", first.Stdout);
        Assert.Equal(3, first.Stdout.Split('\n').Count(l => l.StartsWith("  model: ", StringComparison.Ordinal)));
        var model = first.Stdout.Split('\n').Single(l => l.Contains(" chat --model ", StringComparison.Ordinal)).Split(" --model ")[1].Trim();
        Assert.True(File.Exists(Path.Combine(model, "config.json")), model);
        Assert.StartsWith(Path.Combine(outDir, "runs", "sft"), model);

        // The tokenizer has niels-gpt's layout: the four chat tokens at ids 3..6.
        using (var tok = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(outDir, "tokenizer", "tokenizer.json"))))
        {
            var added = tok.RootElement.GetProperty("added_tokens").EnumerateArray()
                .ToDictionary(t => t.GetProperty("content").GetString()!, t => t.GetProperty("id").GetInt32());
            Assert.Equal(3, added[NielsTokens.DefaultSystem]);
            Assert.Equal(6, added[NielsTokens.DefaultEndOfTurn]);
        }
        // The model folder talks: `dlm sample` loads it.
        var sample = CliRunner.Run("sample", "--model", model, "--prompt", "The jury", "--max-tokens", "4", "--temperature", "0", "--json");
        Assert.True(sample.ExitCode == 0, sample.Stderr);

        var second = CliRunner.Run(Env, null, Args(outDir, 16));
        Assert.True(second.ExitCode == 0, second.Stdout + second.Stderr);
        foreach (var (stage, i) in Stages.Select((s, i) => (s, i)))
            Assert.Contains($"[{i + 1}/7] {stage}: reused: ", second.Stdout);
        Assert.DoesNotContain(": done: ", second.Stdout);
        // Same seed, same model: the same replies.
        Assert.Equal(Replies(first.Stdout), Replies(second.Stdout));
    }

    private static string[] Replies(string stdout) => [.. stdout.Split('\n').Where(l => l.StartsWith("  model: ", StringComparison.Ordinal))];

    private Process Start(string outDir, int steps) => CliRunner.Start(RepoPaths.Root, Env, Args(outDir, steps));

    // Waits until the pretrain stage has saved its latest checkpoint (training is under way).
    private static void WaitForCheckpoint(string outDir, Process p)
    {
        var latest = Path.Combine(outDir, "runs", "pretrain", "checkpoints", "latest", "config.json");
        var clock = Stopwatch.StartNew();
        while (!File.Exists(latest) && !p.HasExited && clock.Elapsed < TimeSpan.FromMinutes(2)) Thread.Sleep(5);
        Assert.False(p.HasExited, "the demo ended before pretraining saved a checkpoint");
        Assert.True(File.Exists(latest), "no pretrain checkpoint within two minutes");
    }

    [Fact]
    public void Killed_with_sigkill_mid_pretrain_a_rerun_resumes_and_completes()
    {
        var outDir = Path.Combine(_root, "killed");
        using (var p = Start(outDir, 240))
        {
            p.OutputDataReceived += (_, _) => { };
            p.ErrorDataReceived += (_, _) => { };
            p.BeginOutputReadLine();
            p.BeginErrorReadLine();
            WaitForCheckpoint(outDir, p);
            p.Kill(); // SIGKILL: nothing runs after it
            p.WaitForExit();
        }
        Assert.False(File.Exists(Path.Combine(outDir, "runs", "pretrain", "stage.json")));

        var r = CliRunner.Run(Env, null, Args(outDir, 240));
        Assert.True(r.ExitCode == 0, r.Stdout + r.Stderr);
        foreach (var (stage, i) in Stages.Select((s, i) => (s, i)).Take(4))
            Assert.Contains($"[{i + 1}/7] {stage}: reused: ", r.Stdout);
        Assert.Contains("pretrain: resuming from ", r.Stderr);
        Assert.Contains("[5/7] pretrain: done: 240 steps", r.Stdout);
        Assert.Contains("[6/7] sft: done: 120 steps", r.Stdout);
    }

    [Fact]
    public void Ctrl_c_stops_cleanly_without_a_stack_trace()
    {
        var outDir = Path.Combine(_root, "interrupted");
        using var p = Start(outDir, 100_000);
        var training = new ManualResetEventSlim();
        var stdout = new System.Text.StringBuilder();
        p.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            lock (stdout) stdout.AppendLine(e.Data);
            if (e.Data.StartsWith("[5/7] pretrain: training", StringComparison.Ordinal)) training.Set();
        };
        var stderr = new System.Text.StringBuilder();
        p.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (stderr) stderr.AppendLine(e.Data); };
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        try
        {
            Assert.True(training.Wait(TimeSpan.FromMinutes(2)), "pretraining did not start within two minutes");
            Thread.Sleep(1000); // into the training steps
            using (var kill = Process.Start("kill", ["-INT", $"{p.Id}"])) kill.WaitForExit();
            Assert.True(p.WaitForExit(60_000), "the demo did not stop within a minute of SIGINT");
        }
        finally
        {
            if (!p.HasExited) p.Kill();
        }
        p.WaitForExit();
        Assert.Equal(130, p.ExitCode);
        string err;
        lock (stderr) err = stderr.ToString();
        Assert.Contains("dlm demo: stopped. Finished stages are kept; run the same command again to resume.", err);
        Assert.Contains("pretrain: stopped at step ", err);
        Assert.DoesNotContain("   at ", err);
        lock (stdout) Assert.DoesNotContain("sampled replies", stdout.ToString());
        Assert.True(File.Exists(Path.Combine(outDir, "runs", "pretrain", "checkpoints", "latest", "config.json")), "no latest checkpoint after Ctrl-C");
    }

    [Fact]
    public void Bad_input_is_one_line_before_any_work()
    {
        var outDir = Path.Combine(_root, "bad");
        var missing = CliRunner.Run(Env, null, "demo", "--corpus", Path.Combine(_root, "nope"), "--out", outDir);
        Assert.Equal(1, missing.ExitCode);
        Assert.Equal([$"dlm: --corpus {Path.Combine(_root, "nope")}: folder not found"], missing.StderrLines);
        Assert.Equal("", missing.Stdout);
        var empty = Directory.CreateDirectory(Path.Combine(_root, "empty")).FullName;
        var none = CliRunner.Run(Env, null, "demo", "--corpus", empty, "--out", outDir);
        Assert.Equal(1, none.ExitCode);
        Assert.Contains("no Brown corpus files (ca01 ... cr09)", none.Stderr);
        Assert.Equal("", none.Stdout);
        var minutes = CliRunner.Run(Env, null, "demo", "--corpus", _corpus, "--out", outDir, "--minutes", "0");
        Assert.Equal(2, minutes.ExitCode);
        Assert.Contains("--minutes must be a positive number", minutes.Stderr);
        var model = CliRunner.Run(Env, null, "demo", "--corpus", _corpus, "--out", outDir, "--model", "some/folder");
        Assert.Equal(2, model.ExitCode);
        Assert.Contains("--model must be a preset", model.Stderr);
        Assert.False(Directory.Exists(Path.Combine(outDir, "tokenizer")));
    }
}
