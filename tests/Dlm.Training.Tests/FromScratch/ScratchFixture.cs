using System.Globalization;
using System.Text.Json;
using Dlm.Core.Config;
using Dlm.Data.Build;
using Dlm.Data.Settings;
using Dlm.TestSupport;
using Dlm.Training.FromScratch;

namespace Dlm.Training.Tests.FromScratch;

/// <summary>
/// Real inputs for the from-scratch tests, made once per test process: a small slice of the Brown
/// corpus (the first 200k train and 20k val tokens of the repository's 8k tokenizer) and the primer as
/// token caches, built with build-all, and a settings file for a tiny niels model (T=64) that trains in
/// seconds. Each test passes its own <c>run.dir</c>.
/// </summary>
public static class ScratchFixture
{
    private static readonly Lazy<string> Shared = new(Build, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>The settings file (caches already built).</summary>
    public static string Settings => Path.Combine(Shared.Value, "settings.yaml");

    /// <summary>The folder holding the settings and the caches.</summary>
    public static string Dir => Shared.Value;

    /// <summary>The settings text, for tests that write a variant.</summary>
    public static string Yaml(string cacheDir) => $$"""
        data:
          caches: {pretrain_token_cache: {{cacheDir}}/pretrain, sft_token_cache: {{cacheDir}}/sft}
          tokenizer:
            path: {{Path.Combine(RepoPaths.Root, "data", "tokenizer", "tokenizer.json")}}
            special_tokens:
              sys: <|ngpt_sys_84a5023f67d74cf29cc4001becde983c|>
              usr: <|ngpt_usr_84a5023f67d74cf29cc4001becde983c|>
              asst: <|ngpt_asst_84a5023f67d74cf29cc4001becde983c|>
              eot: <|ngpt_eot_84a5023f67d74cf29cc4001becde983c|>
            expected_special_token_ids: {sys: 3, usr: 4, asst: 5, eot: 6}
          shard_bytes: 262144
          sources:
            brown: {kind: brown, path: {{ReferenceData.BrownCorpus}}, val_tokens: 20000, train_tokens: 200000, shuffle_buffer: 0}
            primer: {kind: primer, path: {{Path.Combine(RepoPaths.Root, "data", "primer.jsonl")}}}
          mix_pretrain: {brown: 1.0}
          mix_sft: {primer: 1.0}
        model:
          init: preset:niels-tiny
          context_length: 64
        pretrain:
          batch_size: 8
          max_steps: 40
          lr: 3e-3
          min_lr: 3e-4
          warmup_steps: 5
          eval_every: 10
          eval_batches: 2
          save_every: 10
          keep_checkpoints: 2
        sft:
          batch_size: 4
          max_steps: 10
          warmup_steps: 2
          eval_every: 5
          eval_batches: 2
          save_every: 5
          keep_checkpoints: 1
        """;

    private static string Build()
    {
        var dir = Path.Combine(Path.GetTempPath(), "dlm-scratch-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        var path = Path.Combine(dir, "settings.yaml");
        File.WriteAllText(path, Yaml(Path.Combine(dir, "cache")));
        BuildAll.Run(SettingsLoader.Load(path));
        return dir;
    }

    /// <summary>The settings with <c>run.dir</c> set to <paramref name="runDir"/> and more overrides on top.</summary>
    public static ScratchSettings Load(string runDir, params string[] overrides) =>
        ScratchSettingsLoader.Load(Settings, KeyValueArgs.Parse([$"run.dir={runDir}", .. overrides]));

    /// <summary>The deterministic columns of metrics.jsonl (no timings), one string per row.</summary>
    public static List<string> Metrics(string stageDir) =>
        File.ReadAllLines(Path.Combine(stageDir, "metrics.jsonl")).Select(line =>
        {
            using var doc = JsonDocument.Parse(line);
            var keep = doc.RootElement.EnumerateObject()
                .Where(p => p.Name is "step" or "learning_rate" or "train_mean_nll" or "grad_norm" or "num_tokens" or "num_loss_tokens" or "test/nll")
                .Select(p => $"{p.Name}={p.Value.GetRawText()}");
            return string.Join(",", keep);
        }).ToList();

    /// <summary>Byte equality of two files.</summary>
    public static bool SameBytes(string a, string b) => File.ReadAllBytes(a).AsSpan().SequenceEqual(File.ReadAllBytes(b));

    /// <summary>One column of metrics.jsonl by step.</summary>
    public static SortedDictionary<int, double> Column(string stageDir, string key)
    {
        var result = new SortedDictionary<int, double>();
        foreach (var line in File.ReadAllLines(Path.Combine(stageDir, "metrics.jsonl")))
        {
            using var doc = JsonDocument.Parse(line);
            if (doc.RootElement.TryGetProperty(key, out var v))
                result[doc.RootElement.GetProperty("step").GetInt32()] = v.GetDouble();
        }
        return result;
    }

    /// <summary>Formats a loss for messages.</summary>
    public static string F(double? v) => v?.ToString("F4", CultureInfo.InvariantCulture) ?? "-";
}
