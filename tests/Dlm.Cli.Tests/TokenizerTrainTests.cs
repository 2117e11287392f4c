using System.Text.Json;
using Dlm.TestSupport;

namespace Dlm.Cli.Tests;

/// <summary>`dlm tokenizer train`, run as a user runs it.</summary>
public sealed class TokenizerTrainTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "dlm-tok-train-" + Guid.NewGuid().ToString("N"));

    public TokenizerTrainTests() => Directory.CreateDirectory(_dir);

    public void Dispose() => Directory.Delete(_dir, true);

    private string Text(string name, string content)
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllText(path, content);
        return path;
    }

    [Fact]
    public void Trains_the_fixture_to_the_committed_bytes_and_prints_a_summary()
    {
        // The same command tools/reference/bpe_train_check.mjs runs to make the fixture.
        var outDir = Path.Combine(_dir, "out");
        var r = CliRunner.Run("tokenizer", "train", "--vocab-size", "2000",
            "--special", "<|user|>", "<|assistant|>", "<|eot|>", "--eos", "<|eot|>",
            "--out", outDir, "--", RepoPaths.Fixture("bpe", "train.txt"));
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Equal(File.ReadAllText(RepoPaths.Fixture("bpe", "tokenizer.json")), File.ReadAllText(Path.Combine(outDir, "tokenizer.json")));
        Assert.Equal(File.ReadAllText(RepoPaths.Fixture("bpe", "tokenizer_config.json")), File.ReadAllText(Path.Combine(outDir, "tokenizer_config.json")));
        Assert.Contains("vocab 2000 (3 special + 256 bytes + 1741 merged), 1741 merges", r.Stdout);
        Assert.Empty(Directory.GetFiles(outDir, ".tmp-*"));
    }

    [Fact]
    public void Json_summary_reports_sizes_and_seconds()
    {
        var file = Text("a.txt", "the cat sat on the mat\nthe dog sat on the log\n");
        var outDir = Path.Combine(_dir, "out");
        var r = CliRunner.Run("tokenizer", "train", file, "--vocab-size", "270", "--special", "<|eot|>", "--json", "--out", outDir);
        Assert.True(r.ExitCode == 0, r.Stderr);
        using var doc = JsonDocument.Parse(r.Stdout);
        var s = doc.RootElement;
        Assert.Equal(270, s.GetProperty("vocab_size").GetInt32());
        Assert.Equal(270, s.GetProperty("requested_vocab_size").GetInt32());
        Assert.Equal(13, s.GetProperty("merges").GetInt32());
        Assert.Equal(1, s.GetProperty("special_tokens").GetInt32());
        Assert.Equal(new FileInfo(file).Length, s.GetProperty("input_bytes").GetInt64());
        Assert.True(s.GetProperty("total_seconds").GetDouble() >= 0);
        Assert.Equal(Path.Combine(outDir, "tokenizer.json"), s.GetProperty("tokenizer_json").GetString());
    }

    [Fact]
    public void Says_when_the_corpus_runs_out_of_pairs()
    {
        var file = Text("a.txt", "abc\n");
        var r = CliRunner.Run("tokenizer", "train", file, "--vocab-size", "5000", "--out", Path.Combine(_dir, "o"));
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains("vocab 258 (0 special + 256 bytes + 2 merged)", r.Stdout);
        Assert.Contains("stopped below the requested 5000", r.Stdout);
    }

    [Fact]
    public void No_input_files_is_a_usage_error()
    {
        var r = CliRunner.Run("tokenizer", "train", "--vocab-size", "300", "--out", _dir);
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("no input files", r.Stderr);
    }

    [Fact]
    public void A_file_swallowed_by_special_gets_a_hint()
    {
        var file = Text("a.txt", "hello\n");
        var r = CliRunner.Run("tokenizer", "train", "--vocab-size", "300", "--out", _dir, "--special", "<|eot|>", file);
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("was taken as a special token", r.Stderr);
    }

    [Theory]
    [InlineData("--vocab-size", "256", "too small")]
    [InlineData("--regex", "(unclosed", "bad pre-tokenization regex")]
    [InlineData("--eos", "<|nope|>", "not one of the --special tokens")]
    public void Bad_values_fail_with_one_line_and_exit_1(string option, string value, string message)
    {
        var file = Text("a.txt", "hello\n");
        var args = new List<string> { "tokenizer", "train", file, "--special", "<|eot|>", "--out", Path.Combine(_dir, "o") };
        if (option != "--vocab-size") args.AddRange(["--vocab-size", "300"]);
        args.AddRange([option, value]);
        var r = CliRunner.Run([.. args]);
        Assert.Equal(1, r.ExitCode);
        Assert.Single(r.StderrLines, l => l.StartsWith("dlm: ", StringComparison.Ordinal));
        Assert.Contains(message, r.Stderr);
        Assert.DoesNotContain("   at ", r.Stderr);
    }

    [Fact]
    public void Missing_and_unreadable_files_fail_with_exit_1()
    {
        var missing = CliRunner.Run("tokenizer", "train", Path.Combine(_dir, "nope.txt"), "--vocab-size", "300", "--out", _dir);
        Assert.Equal(1, missing.ExitCode);
        Assert.Contains("input file not found", missing.Stderr);

        var binary = Path.Combine(_dir, "b.bin");
        File.WriteAllBytes(binary, [0x61, 0xC3, 0x28, 0xFF]);
        var bad = CliRunner.Run("tokenizer", "train", binary, "--vocab-size", "300", "--out", Path.Combine(_dir, "o"));
        Assert.Equal(1, bad.ExitCode);
        Assert.Contains("not valid UTF-8", bad.Stderr);
        Assert.False(File.Exists(Path.Combine(_dir, "o", "tokenizer.json")));
    }
}
