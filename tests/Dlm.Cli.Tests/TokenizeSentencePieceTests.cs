using System.Text.Json;
using Dlm.TestSupport;

namespace Dlm.Cli.Tests;

/// <summary>`dlm tokenize` and `dlm bench tokenize` on a SentencePiece model (niels-gpt's spm.model options), through the real dlm.dll.</summary>
public class TokenizeSentencePieceTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Tokenize_a_model_file_gives_sentencepiece_ids(bool special)
    {
        var fixture = JsonDocument.Parse(File.ReadAllText(RepoPaths.Fixture("spm", "niels.json"))).RootElement;
        var cases = fixture.GetProperty("hard").EnumerateArray()
            .Where(c => c.GetProperty("text").GetString()!.IndexOfAny(['\n', '\r', '\u0085', '\u2028', '\u2029']) < 0).ToArray();
        var input = Path.GetTempFileName();
        try
        {
            File.WriteAllText(input, string.Join("\n", cases.Select(c => c.GetProperty("text").GetString())) + "\n");
            var args = new List<string> { "tokenize", "--tokenizer", RepoPaths.Fixture("spm", "niels.model"), "--input", input };
            if (special) args.Add("--add-special-tokens");
            var r = CliRunner.Run([.. args]);
            Assert.True(r.ExitCode == 0, r.Stderr);
            var lines = r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.Equal(cases.Length, lines.Length);
            for (int i = 0; i < cases.Length; i++)
                Assert.Equal(cases[i].GetProperty(special ? "ids_bos_eos" : "ids").EnumerateArray().Select(x => x.GetInt32()),
                    JsonSerializer.Deserialize<int[]>(lines[i])!);
        }
        finally { File.Delete(input); }
    }

    [Fact]
    public void Tokenize_fails_in_one_line_on_a_broken_model()
    {
        var file = Path.Combine(Path.GetTempPath(), $"dlm-cli-broken-{Environment.ProcessId}.model");
        try
        {
            File.WriteAllBytes(file, [0x0a, 0x40, 0x01]);
            var r = CliRunner.Run("tokenize", "--tokenizer", file);
            Assert.Equal(1, r.ExitCode);
            Assert.Single(r.StderrLines);
            Assert.Contains($"{file}: not a SentencePiece model", r.Stderr);
        }
        finally { File.Delete(file); }
    }

    [Fact]
    public void Bench_tokenize_measures_a_model_file()
    {
        var input = Path.GetTempFileName();
        try
        {
            File.WriteAllLines(input, ReferenceData.BrownLines().Take(200));
            var r = CliRunner.Run("bench", "tokenize", "--tokenizer", RepoPaths.Fixture("spm", "niels.model"), "--input", input,
                "--json", "--seconds", "0.2", "--no-reference");
            Assert.True(r.ExitCode == 0, r.Stderr);
            var j = JsonDocument.Parse(r.Stdout).RootElement;
            Assert.True(j.GetProperty("single_thread_mb_per_s").GetDouble() > 0);
            Assert.Equal(0, j.GetProperty("alloc_bytes_per_token").GetDouble());
            Assert.Equal(200, j.GetProperty("lines").GetInt32());
        }
        finally { File.Delete(input); }
    }
}
