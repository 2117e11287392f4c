using System.Text.Json;
using Dlm.TestSupport;

namespace Dlm.Cli.Tests;

/// <summary>`dlm tokenize` and `dlm bench tokenize` end to end, through the real dlm.dll.</summary>
public class TokenizeTests
{
    private static int[][] Expected(string model, bool special)
    {
        var fixture = JsonDocument.Parse(File.ReadAllText(RepoPaths.Fixture("tokenizers", model + ".json"))).RootElement;
        return [.. fixture.GetProperty("hard").EnumerateArray()
            .Select(c => c.GetProperty(special ? "ids_special" : "ids").EnumerateArray().Select(x => x.GetInt32()).ToArray())];
    }

    private static string[] SingleLineHardStrings(string model, out int[][] expected, bool special)
    {
        var strings = JsonSerializer.Deserialize<string[]>(File.ReadAllText(RepoPaths.Fixture("tokenizers", "hard_strings.json")))!;
        var all = Expected(model, special);
        var keep = Enumerable.Range(0, strings.Length).Where(i => !strings[i].Contains('\n') && !strings[i].Contains('\r')
            && !strings[i].Contains('\u0085') && !strings[i].Contains('\u2028') && !strings[i].Contains('\u2029')).ToArray();
        expected = [.. keep.Select(i => all[i])];
        return [.. keep.Select(i => strings[i])];
    }

    [Theory]
    [InlineData("qwen3", false)]
    [InlineData("llama3", true)]
    public void Tokenize_prints_one_json_array_per_line_from_a_file(string model, bool special)
    {
        var lines = SingleLineHardStrings(model, out var expected, special);
        var input = Path.GetTempFileName();
        try
        {
            File.WriteAllText(input, string.Join("\n", lines) + "\n");
            var args = new List<string> { "tokenize", "--tokenizer", ReferenceData.TokenizerFolder(model), "--input", input };
            if (special) args.Add("--add-special-tokens");
            var r = CliRunner.Run([.. args]);
            Assert.True(r.ExitCode == 0, r.Stderr);
            var outLines = r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.Equal(lines.Length, outLines.Length);
            for (int i = 0; i < lines.Length; i++)
                Assert.Equal(expected[i], JsonSerializer.Deserialize<int[]>(outLines[i]));
        }
        finally { File.Delete(input); }
    }

    [Fact]
    public void Tokenize_reads_stdin_and_takes_a_tokenizer_json_file()
    {
        var file = Path.Combine(ReferenceData.TokenizerFolder("llama3"), "tokenizer.json");
        var r = CliRunner.Run((IDictionary<string, string>?)null, "Hello world\n\n<|begin_of_text|>hi\n", "tokenize", "--tokenizer", file);
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Equal(["[9906,1917]", "[]", "[128000,6151]"], r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public void Tokenize_fails_in_one_line_on_a_missing_tokenizer()
    {
        var r = CliRunner.Run("tokenize", "--tokenizer", "/nonexistent/tok");
        Assert.Equal(1, r.ExitCode);
        Assert.Single(r.StderrLines);
        Assert.Contains("/nonexistent/tok", r.Stderr);
    }

    [Fact]
    public void Bench_tokenize_reports_the_contract_fields()
    {
        var input = Path.GetTempFileName();
        try
        {
            File.WriteAllLines(input, ReferenceData.BrownLines().Take(200));
            var r = CliRunner.Run("bench", "tokenize", "--tokenizer", ReferenceData.TokenizerFolder("qwen3"), "--input", input,
                "--json", "--seconds", "0.2", "--no-reference");
            Assert.True(r.ExitCode == 0, r.Stderr);
            var lines = r.Stdout.TrimEnd().Split('\n');
            var j = JsonDocument.Parse(lines[^1]).RootElement; // the result is one JSON object on the last line
            Assert.True(j.GetProperty("single_thread_mb_per_s").GetDouble() > 0);
            Assert.True(j.GetProperty("all_threads_mb_per_s").GetDouble() > 0);
            Assert.True(j.GetProperty("tokens_per_s").GetDouble() > 0);
            Assert.True(j.GetProperty("alloc_bytes_per_token").GetDouble() >= 0);
            Assert.Equal(200, j.GetProperty("lines").GetInt32());
        }
        finally { File.Delete(input); }
    }
}
