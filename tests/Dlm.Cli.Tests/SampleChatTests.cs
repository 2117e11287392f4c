using System.Text.Json;
using System.Text.Json.Nodes;
using Dlm.Models.Config;
using Dlm.Models.IO;
using Dlm.Models.Transformer;
using Dlm.TestSupport;
using Dlm.Tokenizers;

namespace Dlm.Cli.Tests;

/// <summary>A niels model folder with a tokenizer trained by `dlm tokenizer train` (niels role tokens) and random weights.</summary>
public sealed class NielsModelFolder : IDisposable
{
    public string Dir { get; } = Directory.CreateTempSubdirectory("dlm-sample-").FullName;
    public Tokenizer Tokenizer { get; }
    public TransformerModel Model { get; }

    public NielsModelFolder()
    {
        var r = CliRunner.Run("tokenizer", "train", "--vocab-size", "400", "--special", Dlm.Chat.Renderers.NielsTokens.DefaultSystem, Dlm.Chat.Renderers.NielsTokens.DefaultUser,
            Dlm.Chat.Renderers.NielsTokens.DefaultAssistant, Dlm.Chat.Renderers.NielsTokens.DefaultEndOfTurn, "--eos", Dlm.Chat.Renderers.NielsTokens.DefaultEndOfTurn, "--out", Dir, "--", RepoPaths.Fixture("bpe", "train.txt"));
        Assert.True(r.ExitCode == 0, r.Stderr);
        Tokenizer = Tokenizer.FromPath(Dir);
        var cfg = new ModelConfig
        {
            Family = ModelFamily.Niels, ModelType = "niels", VocabSize = Tokenizer.VocabSize, ContextLength = 64, DModel = 32, Layers = 2,
            Heads = 4, KvHeads = 4, DFf = 64, MlpBias = true, TiedEmbeddings = true,
        };
        Model = new TransformerModel(cfg, 1, cfg.ContextLength, inferenceOnly: true);
        Model.InitializeWeights(11);
        var w = Model.Weights;
        var rng = new Random(12);
        for (int i = 0; i < w.Length; i++) w[i] += (float)(rng.NextDouble() - 0.5) * 0.6f;
        HfModelFolder.Save(Dir, cfg, Model.Layout, Model.Weights);
    }

    public void Dispose() => Directory.Delete(Dir, recursive: true);
}

/// <summary>`dlm sample` and `dlm chat` end to end.</summary>
public sealed class SampleChatTests(NielsModelFolder m) : IClassFixture<NielsModelFolder>
{
    private static JsonNode[] JsonLines(string stdout) =>
        stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonNode.Parse(l)!).ToArray();

    private string PromptFile(params int[][] prompts)
    {
        var path = Path.Combine(m.Dir, $"prompts-{Guid.NewGuid():N}.jsonl");
        File.WriteAllLines(path, prompts.Select(p => JsonSerializer.Serialize(p)));
        return path;
    }

    // Greedy continuation by full forward passes of the training model (no cache).
    private int[] GreedyWithoutCache(int[] prompt, int count)
    {
        var tokens = prompt.ToList();
        int v = m.Model.Config.VocabSize;
        for (int i = 0; i < count; i++)
        {
            m.Model.Forward(tokens.ToArray(), [], [], 1, tokens.Count, training: false);
            var last = m.Model.Logits.Slice((tokens.Count - 1) * v, v);
            int best = 0;
            for (int j = 1; j < v; j++) if (last[j] > last[best]) best = j;
            tokens.Add(best);
        }
        return tokens.Skip(prompt.Length).ToArray();
    }

    [Fact]
    public void Json_lines_per_prompt_and_sample_and_greedy_equals_decoding_without_the_cache()
    {
        int[] a = [5, 60, 61, 200], b = [100, 7];
        var r = CliRunner.Run("sample", "--model", m.Dir, "--prompt-tokens", PromptFile(a, b), "--temperature", "0", "--max-tokens", "6", "--num-samples", "2", "--json");
        Assert.True(r.ExitCode == 0, r.Stderr);
        var lines = JsonLines(r.Stdout);
        Assert.Equal(4, lines.Length);
        int[][] prompts = [a, a, b, b];
        for (int i = 0; i < 4; i++)
        {
            var o = lines[i].AsObject();
            Assert.Equal(["tokens", "text", "logprobs", "stop_reason"], o.Select(kv => kv.Key));
            var tokens = o["tokens"]!.AsArray().Select(t => t!.GetValue<int>()).ToArray();
            Assert.Equal(GreedyWithoutCache(prompts[i], 6), tokens);
            Assert.Equal(6, o["logprobs"]!.AsArray().Count);
            Assert.All(o["logprobs"]!.AsArray(), lp => Assert.True(lp!.GetValue<float>() <= 0));
            Assert.Equal("length", o["stop_reason"]!.GetValue<string>());
            Assert.Equal(m.Tokenizer.Decode(tokens), o["text"]!.GetValue<string>());
        }
    }

    [Fact]
    public void Streamed_text_is_the_json_text_and_a_stop_string_across_tokens_cuts_it()
    {
        string[] common = ["sample", "--model", m.Dir, "--prompt", "The jury said", "--temperature", "0", "--max-tokens", "12"];
        var json = CliRunner.Run([.. common, "--json"]);
        var text = CliRunner.Run(common);
        Assert.True(json.ExitCode == 0 && text.ExitCode == 0, json.Stderr + text.Stderr);
        var full = JsonLines(json.Stdout)[0]["text"]!.GetValue<string>();
        Assert.Equal(full + "\n", text.Stdout);

        // A stop string made of the last character of one token's text and the first of the next.
        var tokens = JsonLines(json.Stdout)[0]["tokens"]!.AsArray().Select(t => t!.GetValue<int>()).ToArray();
        int k = Enumerable.Range(1, tokens.Length - 2).First(i => m.Tokenizer.Decode(tokens.AsSpan(0, i)).Length > 0
            && m.Tokenizer.Decode(tokens.AsSpan(0, i + 1)).Length > m.Tokenizer.Decode(tokens.AsSpan(0, i)).Length);
        string before = m.Tokenizer.Decode(tokens.AsSpan(0, k)), after = m.Tokenizer.Decode(tokens.AsSpan(0, k + 1));
        string stop = before[^1..] + after[before.Length..(before.Length + 1)];
        int at = full.IndexOf(stop, StringComparison.Ordinal);
        var cut = CliRunner.Run([.. common, "--stop", stop]);
        var cutJson = CliRunner.Run([.. common, "--stop", stop, "--json"]);
        Assert.Equal(full[..at] + "\n", cut.Stdout);
        var o = JsonLines(cutJson.Stdout)[0];
        Assert.Equal("stop", o["stop_reason"]!.GetValue<string>());
        Assert.Equal(full[..at], o["text"]!.GetValue<string>());
    }

    [Fact]
    public void A_seed_gives_the_same_samples_on_one_and_two_threads_and_16_bit_weights_load()
    {
        string[] args = ["sample", "--model", m.Dir, "--prompt", "In the", "--temperature", "1", "--top-k", "50", "--top-p", "0.95",
            "--seed", "7", "--num-samples", "3", "--max-tokens", "10", "--json"];
        var one = CliRunner.Run(new Dictionary<string, string> { ["DLM_THREADS"] = "1" }, null, args);
        var two = CliRunner.Run(new Dictionary<string, string> { ["DLM_THREADS"] = "2" }, null, args);
        Assert.True(one.ExitCode == 0, one.Stderr);
        Assert.Equal(one.Stdout, two.Stdout);
        Assert.Equal(3, JsonLines(one.Stdout).Length);
        foreach (var dtype in new[] { "bf16", "f16" })
        {
            var r = CliRunner.Run([.. args, "--dtype", dtype]);
            Assert.True(r.ExitCode == 0, r.Stderr);
            Assert.Equal(3, JsonLines(r.Stdout).Length);
        }
    }

    [Fact]
    public void Adapters_apply_merged_or_not_with_the_same_tokens()
    {
        var folder = RepoPaths.Fixture("models", "llama_lora");
        var prompts = Path.Combine(m.Dir, "lora-prompts.jsonl");
        File.WriteAllLines(prompts, ["[1, 2, 3]", "[40, 41]"]);
        string[] args = ["sample", "--model", folder, "--adapter", folder, "--prompt-tokens", prompts, "--temperature", "0", "--max-tokens", "8", "--json"];
        var unmerged = CliRunner.Run(args);
        var merged = CliRunner.Run([.. args, "--merge-adapter"]);
        var plain = CliRunner.Run("sample", "--model", folder, "--prompt-tokens", prompts, "--temperature", "0", "--max-tokens", "8", "--json");
        Assert.True(unmerged.ExitCode == 0 && merged.ExitCode == 0 && plain.ExitCode == 0, unmerged.Stderr + merged.Stderr + plain.Stderr);
        var u = JsonLines(unmerged.Stdout);
        var g = JsonLines(merged.Stdout);
        Assert.Equal(2, u.Length);
        for (int i = 0; i < 2; i++)
        {
            Assert.Null(u[i]["text"]); // no tokenizer in the fixture: ids only
            Assert.Equal(u[i]["tokens"]!.ToJsonString(), g[i]["tokens"]!.ToJsonString());
            var lu = u[i]["logprobs"]!.AsArray().Select(x => x!.GetValue<float>()).ToArray();
            var lg = g[i]["logprobs"]!.AsArray().Select(x => x!.GetValue<float>()).ToArray();
            for (int j = 0; j < lu.Length; j++) Assert.True(Math.Abs(lu[j] - lg[j]) <= 1e-5f);
        }
        Assert.NotEqual(plain.Stdout, unmerged.Stdout);
    }

    [Theory]
    [InlineData(2, "--dtype", "f64")]
    [InlineData(2, "--temperature", "-1")]
    [InlineData(2, "--prompt-tokens", "x.jsonl")]
    [InlineData(1, "--adapter", "/nonexistent/adapter")]
    public void Mistakes_are_one_line_and_the_right_exit_code(int exit, string option, string value)
    {
        var r = CliRunner.Run("sample", "--model", m.Dir, "--prompt", "hi", option, value);
        Assert.Equal(exit, r.ExitCode);
        Assert.Single(r.StderrLines);
        Assert.DoesNotContain("   at ", r.Stderr, StringComparison.Ordinal);
        var missing = CliRunner.Run("sample", "--model", "/nonexistent/model", "--prompt-tokens", PromptFile([1]));
        Assert.Equal(1, missing.ExitCode);
        Assert.Single(missing.StderrLines);
    }

    [Fact]
    public void Chat_reads_one_turn_per_line_and_runs_its_commands()
    {
        var save = Path.Combine(m.Dir, "chat.jsonl");
        var stdin = string.Join('\n', "/system Be brief.", "hello there", "/params temperature=0 max_tokens=4", "how are you", $"/save {save}", "/nope", "/exit", "never read") + "\n";
        var r = CliRunner.Run((IDictionary<string, string>?)null, stdin, "chat", "--model", m.Dir, "--temperature", "0", "--max-tokens", "6");
        Assert.True(r.ExitCode == 0, r.Stderr);
        var outLines = r.Stdout.Split('\n');
        Assert.Contains(outLines, l => l.StartsWith("temperature=0 top_k=-1", StringComparison.Ordinal) && l.Contains("max_tokens=4", StringComparison.Ordinal));
        Assert.Contains("unknown command /nope", r.Stderr, StringComparison.Ordinal);
        var saved = Dlm.Chat.ConversationJson.Parse(File.ReadAllText(save).Trim());
        Assert.Equal(["system", "user", "assistant", "user", "assistant"], saved.Select(x => x.Role));
        Assert.Equal("Be brief.", saved[0].Content);
        Assert.Equal("how are you", saved[3].Content);

        // The first reply is the greedy continuation of the niels chat prompt (renderer chosen from the tokenizer).
        var renderer = Dlm.Chat.RendererRegistry.Create("niels", m.Tokenizer);
        var prompt = renderer.BuildGenerationPrompt([Dlm.Chat.Message.System("Be brief."), Dlm.Chat.Message.User("hello there")]).ToInts();
        var greedy = GreedyWithoutCache(prompt, 6);
        int eot = m.Tokenizer.TokenToId(Dlm.Chat.Renderers.NielsTokens.DefaultEndOfTurn)!.Value;
        int end = Array.IndexOf(greedy, eot);
        var reply = m.Tokenizer.Decode(end < 0 ? greedy : greedy[..end], skipSpecialTokens: true);
        Assert.Equal(reply, outLines[0]);
        Assert.Equal(reply, saved[2].Content);
    }

    [Fact]
    public void Chat_drops_the_oldest_turns_to_stay_within_the_context()
    {
        var longLine = string.Join(' ', Enumerable.Repeat("the jury said", 5));
        var stdin = string.Join('\n', Enumerable.Repeat(longLine, 4)) + "\n";
        var r = CliRunner.Run((IDictionary<string, string>?)null, stdin, "chat", "--model", m.Dir, "--temperature", "0", "--max-tokens", "8");
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains("dropped the", r.Stderr, StringComparison.Ordinal);
        Assert.Contains("context of 64 tokens", r.Stderr, StringComparison.Ordinal);
        Assert.Equal(4, r.Stdout.Split('\n').Length - 1);
    }
}
