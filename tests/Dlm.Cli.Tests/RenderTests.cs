using System.Text.Json;
using Dlm.TestSupport;

namespace Dlm.Cli.Tests;

public class RenderTests
{
    private static string WriteConversations(params string[] lines)
    {
        var path = Path.Combine(Path.GetTempPath(), $"dlm-render-{Guid.NewGuid():N}.jsonl");
        File.WriteAllLines(path, lines);
        return path;
    }

    private static (int[] Tokens, float[] Weights) ReadLine(string line)
    {
        using var doc = JsonDocument.Parse(line);
        return (doc.RootElement.GetProperty("tokens").EnumerateArray().Select(e => e.GetInt32()).ToArray(),
            doc.RootElement.GetProperty("weights").EnumerateArray().Select(e => e.GetSingle()).ToArray());
    }

    [Fact]
    public void Supervised_lines_match_the_HF_template_ids_and_weight_the_answer()
    {
        // Same conversation as the fixture case llama3/supervised/basic_2turn.
        using var fixture = JsonDocument.Parse(File.ReadAllBytes(RepoPaths.Fixture("chat", "render_parity.json")));
        var expected = fixture.RootElement.GetProperty("cases").EnumerateArray()
            .Single(c => c.GetProperty("name").GetString() == "llama3/supervised/basic_2turn");
        var messages = JsonSerializer.Serialize(expected.GetProperty("messages"));
        var path = WriteConversations($"{{\"messages\": {messages}}}", "", $"{{\"messages\": {messages}}}");
        try
        {
            var r = CliRunner.Run("render", "--renderer", "llama3", "--tokenizer", ReferenceData.TokenizerFolder("llama3"),
                "--conversations", path);
            Assert.True(r.ExitCode == 0, r.Stderr);
            var lines = r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.Equal(2, lines.Length);
            var (tokens, weights) = ReadLine(lines[0]);
            Assert.Equal(expected.GetProperty("ids").EnumerateArray().Select(e => e.GetInt32()), tokens);
            Assert.Equal(tokens.Length, weights.Length);
            // The answer "I'm fine, thank you!<|eot_id|>" is trained, nothing before it.
            int firstTrained = Array.IndexOf(weights, 1f);
            Assert.True(firstTrained > 0);
            Assert.All(weights[firstTrained..], w => Assert.Equal(1f, w));
            Assert.Equal(128009, tokens[^1]);
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void Generation_mode_prints_the_prompt_with_zero_weights()
    {
        var path = WriteConversations("{\"messages\": [{\"role\": \"user\", \"content\": \"Hi\"}]}");
        try
        {
            var r = CliRunner.Run("render", "--renderer", "qwen3", "--tokenizer", ReferenceData.TokenizerFolder("qwen3"),
                "--conversations", path, "--mode", "generation", "--train-on-what", "all_tokens");
            Assert.True(r.ExitCode == 0, r.Stderr);
            var (tokens, weights) = ReadLine(r.Stdout.Trim());
            // <|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n
            Assert.Equal(151644, tokens[0]);
            Assert.Equal(198, tokens[^1]);
            Assert.All(weights, w => Assert.Equal(0f, w));
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void Errors_are_one_line()
    {
        var path = WriteConversations("{\"messages\": [{\"role\": \"user\"}]}");
        try
        {
            var bad = CliRunner.Run("render", "--renderer", "llama3", "--tokenizer", ReferenceData.TokenizerFolder("llama3"), "--conversations", path);
            Assert.Equal(1, bad.ExitCode);
            Assert.Equal($"dlm: {path}:1: message 0 (user) has no \"content\"", Assert.Single(bad.StderrLines));

            var unknown = CliRunner.Run("render", "--renderer", "nope", "--tokenizer", ReferenceData.TokenizerFolder("llama3"), "--conversations", path);
            Assert.Equal(1, unknown.ExitCode);
            Assert.Contains("unknown renderer 'nope'", Assert.Single(unknown.StderrLines));

            var mode = CliRunner.Run("render", "--renderer", "llama3", "--tokenizer", "x", "--conversations", path, "--train-on-what", "everything");
            Assert.Equal(2, mode.ExitCode);
        }
        finally { File.Delete(path); }
    }
}
