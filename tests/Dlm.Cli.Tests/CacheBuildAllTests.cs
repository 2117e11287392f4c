using System.Diagnostics;
using System.Text.Json;
using Dlm.TestSupport;

namespace Dlm.Cli.Tests;

public class CacheBuildAllTests
{
    private static string Setup(string dir, int lines)
    {
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "primer.jsonl"),
            "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"},{\"role\":\"assistant\",\"content\":\"Hello!\"}]}\n" +
            "{\"messages\":[{\"role\":\"user\",\"content\":\"bye\"},{\"role\":\"assistant\",\"content\":\"Goodbye!\"}]}\n");
        using (var w = new StreamWriter(Path.Combine(dir, "notes.txt")))
            for (int i = 0; i < lines; i++) w.WriteLine($"note {i}: a sentence about the number {i % 97} and nothing else at all");
        var tok = Path.Combine(RepoPaths.Root, "data", "tokenizer", "tokenizer.json");
        var path = Path.Combine(dir, "settings.yaml");
        File.WriteAllText(path, $$"""
            data:
              caches: {pretrain_token_cache: cache/pretrain, sft_token_cache: cache/sft}
              tokenizer: {path: {{tok}}}
              sources:
                notes: {kind: lines, path: notes.txt, val_tokens: 1000}
              mix_pretrain: {notes: 1.0}
              mix_sft: {primer: 1.0}
            """);
        return path;
    }

    [Fact]
    public void Build_all_prints_the_plan_then_ends_with_one_json_line()
    {
        var dir = Path.Combine(Path.GetTempPath(), "dlm-cli-cache-" + Guid.NewGuid().ToString("N"));
        try
        {
            var settings = Setup(dir, 200);
            var r = CliRunner.Run("cache", "build-all", "--settings", settings, "--json");
            Assert.True(r.ExitCode == 0, r.Stderr);
            Assert.StartsWith("pretrain sources: notes", r.Stderr);
            var last = r.Stdout.TrimEnd().Split('\n')[^1];
            using var doc = JsonDocument.Parse(last);
            Assert.Equal(Path.Combine(dir, "cache", "pretrain"), doc.RootElement.GetProperty("pretrain_root").GetString());
            Assert.Equal("notes", doc.RootElement.GetProperty("pretrain_sources")[0].GetString());
            Assert.Equal("primer", doc.RootElement.GetProperty("sft_sources")[0].GetString());
            Assert.Equal("built", doc.RootElement.GetProperty("sources").GetProperty("notes").GetProperty("status").GetString());

            var again = CliRunner.Run("cache", "build-all", "--settings", settings);
            Assert.Equal(0, again.ExitCode);
            Assert.Contains("already exists, skipping", again.Stderr);
            Assert.Contains("pretrain/notes  skipped", again.Stdout);

            var bad = CliRunner.Run("cache", "build-all", "--settings", settings, "data.mix_pretrain=notes:0.5");
            Assert.Equal(1, bad.ExitCode);
            Assert.Equal("dlm: data.mix_pretrain=notes:0.5 (command line): data.mix_pretrain: weights sum to 0.5, not 1", bad.StderrLines.Single());
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void A_build_killed_with_sigkill_leaves_no_valid_cache_and_the_next_run_completes_it()
    {
        var dir = Path.Combine(Path.GetTempPath(), "dlm-cli-kill-" + Guid.NewGuid().ToString("N"));
        try
        {
            var settings = Setup(dir, 400_000);
            using var p = CliRunner.Start(RepoPaths.Root, new Dictionary<string, string> { ["DLM_THREADS"] = "1" }, ["cache", "build-all", "--settings", settings]);
            _ = p.StandardOutput.ReadToEndAsync();
            _ = p.StandardError.ReadToEndAsync();
            var staging = Path.Combine(dir, "cache", "pretrain", ".notes.building", "train");
            var sw = Stopwatch.StartNew();
            while (!(Directory.Exists(staging) && Directory.GetFiles(staging).Length > 0) && !p.HasExited && sw.Elapsed.TotalSeconds < 60) Thread.Sleep(20);
            Assert.False(p.HasExited, "the build finished before it could be killed");
            p.Kill(entireProcessTree: true); // SIGKILL
            p.WaitForExit();
            var final = Path.Combine(dir, "cache", "pretrain", "notes");
            Assert.False(File.Exists(Path.Combine(final, "meta.json")));

            var r = CliRunner.Run("cache", "build-all", "--settings", settings);
            Assert.True(r.ExitCode == 0, r.Stderr);
            Assert.True(File.Exists(Path.Combine(final, "meta.json")));
            Assert.False(Directory.Exists(Path.Combine(dir, "cache", "pretrain", ".notes.building")));
        }
        finally { Directory.Delete(dir, true); }
    }
}
