using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Dlm.Chat;
using Dlm.Models.Generation;
using Dlm.Models.IO;
using Dlm.Numerics.Kernels;
using Dlm.TestSupport;

namespace Dlm.Cli.Tests;

/// <summary>
/// `dlm train` on a folder of Markdown notes with a tiny local base, then `dlm prompt` and
/// `dlm repl` on it: versions, unchanged content, edits, the PEFT folder, a kill -9 and --resume.
/// </summary>
public sealed partial class DocumentTrainTests(TinyChatBase tiny) : IClassFixture<TinyChatBase>, IDisposable
{
    private readonly string _work = Directory.CreateTempSubdirectory("dlm-doctrain-").FullName;
    private string Home => Path.Combine(_work, "home");
    private string Notes => Path.Combine(_work, "notes");

    public void Dispose()
    {
        try { Directory.Delete(_work, true); }
        catch (IOException) { }
    }

    private Dictionary<string, string> Env => new() { ["DLM_HOME"] = Home, ["HF_HUB_OFFLINE"] = "1" };

    private CliRunner.Result Dlm(string? stdin, params string[] args) => CliRunner.RunIn(_work, Env, stdin, args);

    private void WriteNotes()
    {
        Directory.CreateDirectory(Path.Combine(Notes, "island"));
        File.WriteAllText(Path.Combine(Notes, "lighthouse.md"), "# Lighthouse\n\n" + TinyChatBase.Corpus[0] + "\n" + TinyChatBase.Corpus[1] + "\n");
        File.WriteAllText(Path.Combine(Notes, "island", "harbour.md"), "# Harbour\n\n" + TinyChatBase.Corpus[2] + "\n");
        File.WriteAllText(Path.Combine(Notes, "island", "ferry.md"), "# Ferry\n\n" + TinyChatBase.Corpus[3] + "\n");
    }

    private string StoreOf(string documentPath)
    {
        var id = Regex.Match(File.ReadAllText(documentPath), "dlm_id: ([0-9A-Z]{26})").Groups[1].Value;
        return Path.Combine(Home, "store", id);
    }

    [Fact]
    public void Notes_train_to_v0001_then_prompt_answers_and_an_edit_trains_v0002()
    {
        WriteNotes();
        var r = Dlm(null, "train", "notes", "--base", tiny.Dir);
        Assert.True(r.ExitCode == 0, r.Stderr);
        var store = StoreOf(Path.Combine(Notes, ".dlm", "corpus.dlm"));
        var v1 = Path.Combine(store, "adapter", "versions", "v0001");
        // R2's three lines end stderr; stdout is the final train loss alone.
        Assert.Matches(@"^sft: v0001 \(3 steps, seed=42\)$", r.StderrLines[^3]);
        Assert.Equal($"adapter: {v1}", r.StderrLines[^2]);
        Assert.Matches(@"^log: .*/logs/train-000001-\d{8}T\d{6}\.jsonl$", r.StderrLines[^1]);
        Assert.True(r.StderrLines.Any(l => l.StartsWith("rows: 4 (4 prose, 0 Q/A)", StringComparison.Ordinal)), r.Stderr);
        Assert.Contains(r.StderrLines, l => l.Contains("sequence_len 2048 capped at the base's context of 256", StringComparison.Ordinal));
        var loss = double.Parse(r.Stdout.Trim(), CultureInfo.InvariantCulture);
        Assert.True(loss > 0 && double.IsFinite(loss), r.Stdout);
        Assert.Equal("adapter/versions/v0001\n", File.ReadAllText(Path.Combine(store, "adapter", "current.txt")));
        Assert.False(File.Exists(Path.Combine(store, ".lock")));
        Assert.False(Directory.Exists(Path.Combine(store, "checkpoint")));

        // The manifest: the run, the version, the content hashes.
        var m = JsonNode.Parse(File.ReadAllText(Path.Combine(store, "manifest.json")))!.AsObject();
        Assert.Equal(1, (int)m["adapter_version"]!);
        Assert.Equal(4, m["content_hashes"]!.AsObject().Count); // the three notes and the scaffold's body line (prose too)
        var run = Assert.Single(m["training_runs"]!.AsArray())!.AsObject();
        Assert.Equal("completed", (string)run["status"]!);
        Assert.Equal(3, (int)run["steps"]!);
        Assert.Equal(1, (int)run["adapter_version"]!);
        Assert.Equal(loss, (double)run["final_train_loss"]!);

        // The version folder is a PEFT adapter: PEFT's config keys, PEFT's tensor names for the
        // registry's auto targets (q/k/v/o), shapes [r, in] and [out, r]; our engine loads it.
        var cfg = JsonNode.Parse(File.ReadAllText(Path.Combine(v1, "adapter_config.json")))!.AsObject();
        Assert.Equal(
            ["alpha_pattern", "auto_mapping", "base_model_name_or_path", "bias", "fan_in_fan_out", "inference_mode", "init_lora_weights", "layers_pattern",
             "layers_to_transform", "lora_alpha", "lora_dropout", "modules_to_save", "peft_type", "r", "rank_pattern", "revision", "target_modules",
             "task_type", "use_dora", "use_rslora"],
            cfg.Select(p => p.Key).Order(StringComparer.Ordinal));
        Assert.Equal("LORA", (string)cfg["peft_type"]!);
        Assert.Equal("CAUSAL_LM", (string)cfg["task_type"]!);
        Assert.Equal(8, (int)cfg["r"]!);
        Assert.Equal(16, (double)cfg["lora_alpha"]!);
        Assert.Equal(0.05, (double)cfg["lora_dropout"]!, 6);
        Assert.Equal(["q_proj", "k_proj", "v_proj", "o_proj"], cfg["target_modules"]!.AsArray().Select(x => (string)x!));
        using (var st = SafeTensorsFile.Open(Path.Combine(v1, "adapter_model.safetensors")))
        {
            var expected = new List<string>();
            for (int l = 0; l < 2; l++)
                foreach (var p in new[] { "q_proj", "k_proj", "v_proj", "o_proj" })
                    foreach (var ab in new[] { "A", "B" }) expected.Add($"base_model.model.model.layers.{l}.self_attn.{p}.lora_{ab}.weight");
            Assert.Equal(expected.Order(StringComparer.Ordinal), st.Tensors.Keys.Order(StringComparer.Ordinal));
            Assert.Equal([8L, 64L], st.Tensors["base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight"].Shape);
            Assert.Equal([32L, 8L], st.Tensors["base_model.model.model.layers.1.self_attn.k_proj.lora_B.weight"].Shape); // 2 kv heads x 16
        }
        Assert.True(File.Exists(Path.Combine(v1, "training_state", "state.safetensors")));

        // dlm prompt answers with base + v0001: the same text our engine gives for the chatml prompt.
        r = Dlm(null, "prompt", "notes", "When was the lighthouse lit?", "--temperature", "0", "--max-tokens", "12");
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Equal(ExpectedReply(v1, "When was the lighthouse lit?", 12) + "\n", r.Stdout);
        // The query from stdin, the document given as its file.
        var viaStdin = Dlm("When was the lighthouse lit?\n", "prompt", Path.Combine("notes", ".dlm", "corpus.dlm"), "--temperature", "0", "--max-tokens", "12");
        Assert.True(viaStdin.ExitCode == 0, viaStdin.Stderr);
        Assert.Equal(r.Stdout, viaStdin.Stdout);

        // Unchanged content: reported, nothing trained.
        r = Dlm(null, "train", "notes");
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains(r.StderrLines, l => l.StartsWith("unchanged: v0001 was trained on this content (4 section(s))", StringComparison.Ordinal));
        Assert.Equal("", r.Stdout);
        Assert.False(Directory.Exists(Path.Combine(store, "adapter", "versions", "v0002")));

        // An edited note trains v0002 from v0001.
        File.AppendAllText(Path.Combine(Notes, "island", "ferry.md"), TinyChatBase.Corpus[5] + "\n");
        r = Dlm(null, "train", "notes", "--seed", "7");
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains(r.StderrLines, l => l == "changed since v0001: 1 new or edited section(s), 1 gone; training on from v0001");
        Assert.Matches(@"^sft: v0002 \(3 steps, seed=7\)$", r.StderrLines[^3]);
        Assert.Equal("adapter/versions/v0002\n", File.ReadAllText(Path.Combine(store, "adapter", "current.txt")));
        m = JsonNode.Parse(File.ReadAllText(Path.Combine(store, "manifest.json")))!.AsObject();
        Assert.Equal(2, (int)m["adapter_version"]!);
        Assert.Equal(2, m["training_runs"]!.AsArray().Count);

        // --adapter picks a version; an unknown one is one line.
        r = Dlm(null, "prompt", "notes", "When was the lighthouse lit?", "--temperature", "0", "--max-tokens", "12", "--adapter", "v0001");
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Equal(ExpectedReply(v1, "When was the lighthouse lit?", 12) + "\n", r.Stdout);
        r = Dlm(null, "prompt", "notes", "hi", "--adapter", "v0009");
        Assert.Equal(1, r.ExitCode);
        Assert.Matches(@"^dlm: --adapter v0009: no such version in .* \(versions: v0001, v0002\)$", Assert.Single(r.StderrLines));

        // dlm repl: the chat REPL on the document, the whole conversation each turn, /adapter switches.
        r = Dlm("When was the lighthouse lit?\nAnd the ferry?\n/history\n/adapter\n/adapter v0001\n/adapter\n/model\n/exit\n",
            "repl", "notes", "--temperature", "0", "--max-tokens", "6");
        Assert.True(r.ExitCode == 0, r.Stderr);
        var lines = r.Stdout.Split('\n');
        Assert.Contains("user: When was the lighthouse lit?", lines);
        Assert.Contains("user: And the ferry?", lines);
        Assert.Equal(2, lines.Count(l => l.StartsWith("assistant: ", StringComparison.Ordinal)));
        Assert.Contains("adapter: v0002", lines);
        Assert.Contains("adapter: v0001", lines);
        Assert.Contains("dlm repl: loaded v0001; the conversation is kept", r.Stderr, StringComparison.Ordinal);
    }

    // Greedy decoding of the chatml prompt with base + adapter, in process.
    private string ExpectedReply(string adapter, string query, int maxTokens)
    {
        var tok = Tokenizers.Tokenizer.FromPath(tiny.Dir);
        var renderer = RendererRegistry.Create("chatml", tok);
        var prompt = renderer.BuildGenerationPrompt([Message.User(query)]).ToInts();
        using var client = new SamplingClient(InferenceModel.Load(tiny.Dir, WeightFormat.F32, adapter), ids => tok.Decode(ids));
        var p = new SamplingParams { Temperature = 0, MaxTokens = maxTokens, StopTokens = renderer.GetStopSequences().Tokens! }.Validate();
        var seq = client.Sample(prompt, 1, p).Sequences[0];
        var parsed = renderer.ParseResponse(seq.Tokens);
        return parsed.Ok ? parsed.Message.Content : tok.Decode(seq.Tokens, skipSpecialTokens: true);
    }

    [Fact]
    public void A_dry_run_reports_rows_tokens_steps_and_time_and_writes_no_store()
    {
        WriteNotes();
        var r = Dlm(null, "train", "notes", "--base", tiny.Dir, "--dry-run");
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.True(r.Stdout.Contains("rows: 4 (4 prose, 0 Q/A): 4 train, 0 validation; sequences: 4 train, 0 validation", StringComparison.Ordinal), r.Stdout);
        Assert.Matches(@"tokens: \d+ train \(\d+ with loss\), 0 validation", r.Stdout);
        Assert.Contains("batch: 4 x 2 = 8 sequence(s) per step; micro_batch_size auto = 4", r.Stdout, StringComparison.Ordinal);
        Assert.Contains("steps: 3 (3 epoch(s) x 1)", r.Stdout, StringComparison.Ordinal);
        Assert.Matches(@"estimated time: [\d.]+ (s|min|h)", r.Stdout);
        Assert.False(Directory.Exists(Path.Combine(Home, "store")));
    }

    [Fact]
    public void Kill_9_during_training_leaves_the_previous_version_current_and_resume_continues()
    {
        WriteNotes();
        var doc = Path.Combine(_work, "notes.dlm");
        const string id = "01JD8X2Y3Z4A5B6C7D8E9F0G1H";
        File.WriteAllText(doc, $"---\ndlm_id: {id}\nbase_model: {tiny.Dir}\ntraining:\n  num_epochs: 1\n  sequence_len: 64\n  micro_batch_size: 1\n  grad_accum: 1\n  sources:\n    - path: notes\n---\n" +
            "::instruction::\n### Q\nWhat year was the lighthouse lit?\n### A\nIt was lit in 1871.\n");
        var r = Dlm(null, "train", doc);
        Assert.True(r.ExitCode == 0, r.Stderr);
        var first = Regex.Match(r.StderrLines[^3], @"^sft: v0001 \((\d+) steps, seed=42\)$");
        Assert.True(first.Success, r.Stderr);
        int perEpoch = int.Parse(first.Groups[1].Value, CultureInfo.InvariantCulture); // one sequence per step: the rows' windows
        int total = 150 * perEpoch;
        var store = Path.Combine(Home, "store", id);

        // Many epochs and an edited note (else the content is unchanged and nothing trains): checkpoints
        // every 25 steps and at each epoch's end; kill -9 once the first one is there.
        File.WriteAllText(doc, File.ReadAllText(doc).Replace("num_epochs: 1", "num_epochs: 150", StringComparison.Ordinal));
        File.AppendAllText(Path.Combine(Notes, "island", "harbour.md"), TinyChatBase.Corpus[4] + "\n");
        using (var p = CliRunner.Start(_work, Env, ["train", doc]))
        {
            p.StandardOutput.ReadToEndAsync();
            p.StandardError.ReadToEndAsync();
            var progress = Path.Combine(store, "checkpoint", "progress.json");
            var sw = Stopwatch.StartNew();
            while (!File.Exists(progress) && !p.HasExited && sw.Elapsed < TimeSpan.FromSeconds(90)) Thread.Sleep(5);
            Assert.False(p.HasExited, "training finished before it could be killed");
            p.Kill(entireProcessTree: true); // SIGKILL
            p.WaitForExit();
        }
        Assert.Equal("adapter/versions/v0001\n", File.ReadAllText(Path.Combine(store, "adapter", "current.txt")));
        Assert.False(Directory.Exists(Path.Combine(store, "adapter", "versions", "v0002")));
        var m = JsonNode.Parse(File.ReadAllText(Path.Combine(store, "manifest.json")))!.AsObject();
        Assert.Equal("running", (string)m["training_runs"]![1]!["status"]!);

        r = Dlm(null, "train", doc, "--resume");
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains(r.StderrLines, l => l.StartsWith("warning: broke stale lock", StringComparison.Ordinal));
        Assert.Contains(r.StderrLines, l => l.StartsWith("run 2 (started", StringComparison.Ordinal) && l.EndsWith("did not finish: recorded as cancelled", StringComparison.Ordinal));
        var resumed = r.StderrLines.Select(l => Regex.Match(l, @"^resuming run 2 at step (\d+) of (\d+)$")).SingleOrDefault(x => x.Success);
        Assert.True(resumed is not null, r.Stderr);
        int at = int.Parse(resumed.Groups[1].Value, CultureInfo.InvariantCulture);
        total = int.Parse(resumed.Groups[2].Value, CultureInfo.InvariantCulture);
        Assert.True(total >= 150 * perEpoch && total % 150 == 0, $"{total} steps"); // the edit may add a window
        Assert.True(at >= perEpoch && at < total, $"resumed at {at}");
        Assert.Equal($"sft: v0002 ({total} steps, seed=42)", r.StderrLines[^3]);
        m = JsonNode.Parse(File.ReadAllText(Path.Combine(store, "manifest.json")))!.AsObject();
        Assert.Equal(["completed", "cancelled", "completed"], m["training_runs"]!.AsArray().Select(x => (string)x!["status"]!));
        Assert.Equal(2, (int)m["adapter_version"]!);

        // Nothing left to resume now.
        r = Dlm(null, "train", doc, "--resume");
        Assert.Equal(1, r.ExitCode);
        Assert.StartsWith("nothing to resume", r.StderrLines[^1], StringComparison.Ordinal);
    }
}
