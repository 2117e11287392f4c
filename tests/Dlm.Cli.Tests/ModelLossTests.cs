using System.Text.Json;
using System.Text.Json.Nodes;
using Dlm.Models.Evaluation;
using Dlm.Models.IO;
using Dlm.TestSupport;

namespace Dlm.Cli.Tests;

/// <summary>`dlm model loss` end to end against the PyTorch losses in tests/fixtures/models.</summary>
public class ModelLossTests
{
    private static (double[] Losses, int[] Tokens, double Mean) Parse(string stdout)
    {
        var lines = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var per = lines[..^1].Select(l => JsonNode.Parse(l)!).ToArray();
        var last = JsonNode.Parse(lines[^1])!;
        return (per.Select(n => n["loss"]!.GetValue<double>()).ToArray(),
                per.Select(n => n["tokens"]!.GetValue<int>()).ToArray(),
                last["mean_loss"]!.GetValue<double>());
    }

    [Theory]
    [InlineData("niels")]
    [InlineData("llama")]
    [InlineData("qwen2")]
    [InlineData("gpt2")]
    public void Losses_match_pytorch(string fixture)
    {
        var folder = RepoPaths.Fixture("models", fixture);
        var r = CliRunner.Run("model", "loss", "--model", folder, "--tokens", Path.Combine(folder, "tokens.jsonl"));
        Assert.True(r.ExitCode == 0, r.Stderr);
        var (losses, tokens, mean) = Parse(r.Stdout);
        using var expected = SafeTensorsFile.Open(Path.Combine(folder, "expected.safetensors"));
        var want = expected.ReadFloat32("cli_loss");
        Assert.Equal(want.Length, losses.Length);
        for (int i = 0; i < want.Length; i++)
            Assert.True(Math.Abs(losses[i] - want[i]) <= 1e-4 * Math.Abs(want[i]), $"line {i + 1}: {losses[i]} vs PyTorch {want[i]}");
        var lengths = File.ReadLines(Path.Combine(folder, "tokens.jsonl")).Select(l => JsonSerializer.Deserialize<int[]>(l)!.Length - 1);
        Assert.Equal(lengths, tokens);
        Assert.Equal(losses.Average(), mean, 12);
    }

    [Theory]
    [InlineData(SafeTensorDType.BF16)]
    [InlineData(SafeTensorDType.F16)]
    public void Sharded_half_precision_folders_load(SafeTensorDType dtype)
    {
        var source = RepoPaths.Fixture("models", "llama");
        var tmp = Directory.CreateTempSubdirectory("dlm-loss-");
        var rounded = Directory.CreateTempSubdirectory("dlm-loss-f32-");
        try
        {
            // Two shards plus an index, stored in half precision.
            using (var f = SafeTensorsFile.Open(Path.Combine(source, "model.safetensors")))
            {
                var names = f.Tensors.Keys.Order(StringComparer.Ordinal).ToList();
                var map = new JsonObject();
                var shards = new[] { names.Where((_, i) => i % 2 == 0).ToList(), names.Where((_, i) => i % 2 == 1).ToList() };
                var roundedTensors = new List<SafeTensorToWrite>();
                for (int s = 0; s < 2; s++)
                {
                    var file = $"model-0000{s + 1}-of-00002.safetensors";
                    var list = shards[s].Select(n => SafeTensorToWrite.Stored(n, f.ReadFloat32(n), dtype, f.Tensors[n].Shape)).ToList();
                    SafeTensorsWriter.Write(Path.Combine(tmp.FullName, file), list);
                    foreach (var n in shards[s]) map[n] = file;
                }
                File.WriteAllText(Path.Combine(tmp.FullName, "model.safetensors.index.json"), new JsonObject { ["metadata"] = new JsonObject(), ["weight_map"] = map }.ToJsonString());
                File.Copy(Path.Combine(source, "config.json"), Path.Combine(tmp.FullName, "config.json"));
                // The same values, widened back to F32 in a single file: the loss must agree exactly.
                foreach (var s in Enumerable.Range(0, 2))
                {
                    using var shard = SafeTensorsFile.Open(Path.Combine(tmp.FullName, $"model-0000{s + 1}-of-00002.safetensors"));
                    Assert.All(shard.Tensors.Values, t => Assert.Equal(dtype, t.DType));
                    roundedTensors.AddRange(shard.Tensors.Values.Select(t => SafeTensorToWrite.F32(t.Name, shard.ReadFloat32(t.Name), t.Shape)));
                }
                SafeTensorsWriter.Write(Path.Combine(rounded.FullName, "model.safetensors"), roundedTensors);
                File.Copy(Path.Combine(source, "config.json"), Path.Combine(rounded.FullName, "config.json"));
            }
            var tokensFile = Path.Combine(source, "tokens.jsonl");
            var r = CliRunner.Run("model", "loss", "--model", tmp.FullName, "--tokens", tokensFile);
            Assert.True(r.ExitCode == 0, r.Stderr);
            var (losses, _, _) = Parse(r.Stdout);
            var want = SequenceLoss.Evaluate(rounded.FullName, SequenceLoss.ReadTokenLines(tokensFile));
            Assert.Equal(want.Select(w => w.Loss), losses);
            using var expected = SafeTensorsFile.Open(Path.Combine(source, "expected.safetensors"));
            var f32 = expected.ReadFloat32("cli_loss");
            for (int i = 0; i < f32.Length; i++) Assert.True(Math.Abs(losses[i] - f32[i]) < 0.05 * f32[i], $"line {i + 1}: {losses[i]} far from {f32[i]}");
        }
        finally
        {
            tmp.Delete(true);
            rounded.Delete(true);
        }
    }

    [Fact]
    public void A_missing_model_folder_is_one_line_and_exit_1()
    {
        var tokens = Path.Combine(RepoPaths.Fixture("models", "niels"), "tokens.jsonl");
        var r = CliRunner.Run("model", "loss", "--model", "/nonexistent/model", "--tokens", tokens);
        Assert.Equal(1, r.ExitCode);
        Assert.Single(r.StderrLines);
        Assert.Contains("/nonexistent/model", r.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void A_bad_tokens_line_names_its_line()
    {
        var tmp = Path.GetTempFileName();
        try
        {
            File.WriteAllLines(tmp, ["[1, 2, 3]", "[1, \"x\"]"]);
            var r = CliRunner.Run("model", "loss", "--model", RepoPaths.Fixture("models", "niels"), "--tokens", tmp);
            Assert.Equal(1, r.ExitCode);
            Assert.Single(r.StderrLines);
            Assert.Contains($"{tmp}:2", r.Stderr, StringComparison.Ordinal);
            File.WriteAllLines(tmp, ["[1, 2, 300]"]);
            r = CliRunner.Run("model", "loss", "--model", RepoPaths.Fixture("models", "niels"), "--tokens", tmp);
            Assert.Equal(1, r.ExitCode);
            Assert.Contains("outside the vocabulary", r.Stderr, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(tmp);
        }
    }

    [Fact]
    public void Missing_options_are_a_usage_error()
    {
        var r = CliRunner.Run("model", "loss", "--model", RepoPaths.Fixture("models", "niels"));
        Assert.Equal(2, r.ExitCode);
    }
}
