using Dlm.Documents.Descent;
using Dlm.Documents.Format;

namespace Dlm.Documents.Tests.Format;

public class FrontmatterTests
{
    private static DlmFrontmatter Fm(string extra, int? version = 15) => Docs.Parse(Docs.Front(extra, version) + "text\n").Frontmatter;

    private static string Error(string extra, int? version = 15) => Docs.Fails(Docs.Front(extra, version) + "text\n").Message;

    [Fact]
    public void Every_default_matches_the_schema()
    {
        var f = Fm("");
        var t = f.Training;
        Assert.Equal(("lora", 8, 16, 0.05), (t.Adapter, t.LoraR, t.LoraAlpha, t.LoraDropout));
        Assert.Null(t.TargetModules);
        Assert.Equal(2048, t.SequenceLen);
        Assert.Null(t.MicroBatchSize);
        Assert.Null(t.GradAccum);
        Assert.Equal((2e-4, 3), (t.LearningRate, t.NumEpochs));
        Assert.Equal(("adamw_torch", "cosine", 0.1), (t.Optimizer, t.LrScheduler, t.WarmupRatio));
        Assert.Null(t.Precision);
        Assert.Equal(42, t.Seed);
        Assert.Equal(new PreferenceConfig(false, "dpo", new PreferenceHyperparams(0.1, 0.1, 5e-6, 1), "sigmoid", "pre_adapter"), t.Preference);
        Assert.Equal(new CptConfig("auto", 0), t.Cpt);
        Assert.Equal(new GateConfig(false, 64, 200, 3e-4, 4, 0.01), t.Gate);
        Assert.Equal(new CacheConfig(true, 10L << 30, 90), t.Cache);
        Assert.Equal(new AudioConfig(false), t.Audio);
        Assert.Null(t.Adapters);
        Assert.Null(t.Sources);
        Assert.Equal(SourcesPolicy.Permissive, t.SourcesPolicy);
        Assert.Equal(new ExportConfig("Q4_K_M", null, null), f.Export);
        Assert.Null(f.SystemPrompt);
        Assert.Equal(["base_model", "dlm_id", "dlm_version"], f.ExplicitKeys);
        Assert.Empty(Docs.Parse(Docs.Front() + "x\n").Warnings);
    }

    [Fact]
    public void Explicit_values_are_read_and_marked()
    {
        var f = Fm("system_prompt: Be brief.\ntraining:\n  lora_r: 16\n  target_modules: [q_proj, v_proj]\n  micro_batch_size: 4\n" +
                   "  grad_accum: auto\n  learning_rate: 1e-4\n  precision: fp32\n  seed: 7\n  preference:\n    enabled: yes\n    hyperparams:\n      beta: \"0.2\"\n" +
                   "export:\n  default_quant: Q8_0\n  default_temperature: 0.2\n");
        Assert.Equal("Be brief.", f.SystemPrompt);
        Assert.Equal(16, f.Training.LoraR);
        Assert.Equal(["q_proj", "v_proj"], f.Training.TargetModules!);
        Assert.Equal(4, f.Training.MicroBatchSize);
        Assert.Null(f.Training.GradAccum);
        Assert.Equal(1e-4, f.Training.LearningRate);
        Assert.Equal("fp32", f.Training.Precision);
        Assert.Equal(7, f.Training.Seed);
        Assert.True(f.Training.Preference.Enabled);
        Assert.Equal(0.2, f.Training.Preference.Hyperparams.Beta);
        Assert.Equal(("Q8_0", 0.2), (f.Export.DefaultQuant, f.Export.DefaultTemperature));
        Assert.True(f.IsExplicit("training.lora_r"));
        Assert.True(f.IsExplicit("training.preference"));
        Assert.False(f.IsExplicit("training.lora_alpha"));
        Assert.False(f.IsExplicit("training.preference.method"));
    }

    [Fact]
    public void An_unknown_key_is_named_by_its_dotted_path_and_position()
    {
        Assert.Equal("doc.dlm:6:3: unknown key 'training.lora_rr' (did you mean 'training.lora_r'?)", Error("training:\n  lora_rr: 8\n"));
        Assert.Equal("doc.dlm:7:5: unknown key 'training.preference.betta'", Error("training:\n  preference:\n    betta: 0.1\n"));
        Assert.Equal("doc.dlm:5:1: unknown key 'colour'", Error("colour: red\n"));
        Assert.Equal("doc.dlm:7:7: unknown key 'training.sources[0].paths' (did you mean 'training.sources[0].path'?)",
            Error("training:\n  sources:\n    - paths: x\n"));
    }

    [Theory]
    [InlineData("training:\n  lora_r: 300\n", "doc.dlm:6:11: training.lora_r: 300 is out of range [1, 256]")]
    [InlineData("training:\n  lora_r: 0\n", "doc.dlm:6:11: training.lora_r: 0 is out of range [1, 256]")]
    [InlineData("training:\n  lora_dropout: 0.6\n", "doc.dlm:6:17: training.lora_dropout: 0.6 is out of range [0, 0.5]")]
    [InlineData("training:\n  sequence_len: 32\n", "doc.dlm:6:17: training.sequence_len: 32 is out of range [64, 32768]")]
    [InlineData("training:\n  warmup_ratio: -0.1\n", "doc.dlm:6:17: training.warmup_ratio: -0.1 is out of range [0, 0.5]")]
    [InlineData("training:\n  learning_rate: 0\n", "doc.dlm:6:18: training.learning_rate: 0 is out of range (> 0)")]
    [InlineData("training:\n  micro_batch_size: 0\n", "doc.dlm:6:21: training.micro_batch_size: must be a positive integer or 'auto', got '0'")]
    [InlineData("training:\n  lora_r: 8.5\n", "doc.dlm:6:11: training.lora_r: expected an integer, got '8.5'")]
    [InlineData("training:\n  lora_r: eight\n", "doc.dlm:6:11: training.lora_r: expected an integer, got 'eight'")]
    [InlineData("training:\n  adapter: lorax\n", "doc.dlm:6:12: training.adapter: 'lorax' is not one of lora, qlora, dora")]
    [InlineData("training:\n  sources_policy: loose\n", "doc.dlm:6:19: training.sources_policy: 'loose' is not one of permissive, strict")]
    [InlineData("export:\n  default_top_p: 1.5\n", "doc.dlm:6:18: export.default_top_p: 1.5 is out of range (0, 1]")]
    [InlineData("training:\n  preference:\n    hyperparams:\n      beta: 2\n", "doc.dlm:8:13: training.preference.hyperparams.beta: 2 is out of range [0, 1]")]
    [InlineData("training: 3\n", "doc.dlm:5:11: training: expected a mapping")]
    [InlineData("training:\n  gate:\n    enabled: true\n", "doc.dlm:6:3: training.gate.enabled: true needs training.adapters with two or more named adapters")]
    [InlineData("training:\n  adapters:\n    Tone: {}\n", "doc.dlm:7:5: training.adapters: 'Tone' is not a valid adapter name (must match ^[a-z][a-z0-9_]{0,31}$)")]
    [InlineData("training:\n  lora_r: 4\n  adapters:\n    tone: {}\n", "doc.dlm:7:3: training.adapters is declared, so the flat fields lora_r must stay at their defaults (move them into each adapter)")]
    [InlineData("system_prompt: yes\n", "doc.dlm:5:16: system_prompt: expected a string, got yes (quote it to make it text)")]
    public void Bad_values_are_errors_at_the_value(string extra, string message) => Assert.Equal(message, Error(extra));

    [Fact]
    public void Required_keys_and_the_id_are_checked()
    {
        Assert.Equal("doc.dlm:2:1: base_model is required", Docs.Fails($"---\ndlm_id: {Docs.Id}\n---\nx\n").Message);
        Assert.Equal("doc.dlm:2:1: dlm_id is required", Docs.Fails("---\nbase_model: b\n---\nx\n").Message);
        Assert.Equal("doc.dlm:2:9: dlm_id must be a 26-character Crockford base32 ULID, got 'not-a-ulid'",
            Docs.Fails("---\ndlm_id: not-a-ulid\nbase_model: b\n---\nx\n").Message);
        Assert.Equal("doc.dlm:2:1: dlm_id is required", Docs.Fails("---\n---\nx\n").Message);
    }

    [Fact]
    public void A_newer_version_is_an_error_naming_both_versions()
    {
        Assert.Equal("doc.dlm:3:14: dlm_version 16 is newer than this dlm supports (schema version 15); upgrade dlm to read it",
            Error("", version: 16));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-3)]
    public void Version_zero_or_negative_is_an_error(int v) =>
        Assert.Equal($"doc.dlm:3:14: dlm_version must be at least 1, got {v}", Error("", version: v));

    [Fact]
    public void A_missing_version_means_1_and_is_migrated()
    {
        var f = Fm("", version: null);
        Assert.Equal(1, f.WrittenVersion);
        Assert.Equal(15, f.DlmVersion);
    }

    [Fact]
    public void A_v1_document_with_training_dpo_is_migrated_to_preference()
    {
        var f = Fm("training:\n  dpo:\n    enabled: true\n    beta: 0.3\n    learning_rate: 1e-6\n    num_epochs: 2\n    loss_type: ipo\n    reference: pre_dpo_adapter\n", version: 1);
        Assert.Equal(new PreferenceConfig(true, "dpo", new PreferenceHyperparams(0.3, 0.1, 1e-6, 2), "ipo", "pre_adapter"), f.Training.Preference);
        Assert.True(f.IsExplicit("training.preference.hyperparams.beta"));
        Assert.DoesNotContain(f.ExplicitKeys, k => k.Contains("dpo", StringComparison.Ordinal));
    }

    [Fact]
    public void Migrated_values_keep_their_file_positions_for_errors()
    {
        Assert.Equal("doc.dlm:7:11: training.preference.hyperparams.beta: 5 is out of range [0, 1]",
            Error("training:\n  dpo:\n    beta: 5\n", version: 1));
        Assert.Equal("doc.dlm:7:5: unknown key 'training.dpo.gamma' (v1 training.dpo takes enabled, beta, learning_rate, num_epochs, loss_type, reference)",
            Error("training:\n  dpo:\n    gamma: 5\n", version: 1));
    }

    [Fact]
    public void Training_dpo_is_unknown_in_a_v2_document()
    {
        Assert.StartsWith("doc.dlm:6:3: unknown key 'training.dpo'", Error("training:\n  dpo:\n    beta: 0.1\n", version: 2));
    }

    [Fact]
    public void Duplicate_keys_are_an_error()
    {
        Assert.Equal("doc.dlm:5:1: duplicate key 'base_model' (each key may appear once)", Error("base_model: other\n"));
        Assert.Equal("doc.dlm:7:3: duplicate key 'lora_r' (each key may appear once)", Error("training:\n  lora_r: 8\n  lora_r: 16\n"));
    }

    [Fact]
    public void Yaml_errors_point_at_the_file_line()
    {
        var e = Error("training:\n  lora_r: [1, 2\n");
        Assert.StartsWith("doc.dlm:", e);
        Assert.Contains("invalid YAML", e);
        var line = int.Parse(e.Split(':')[1]);
        Assert.InRange(line, 6, 7);
    }

    [Fact]
    public void Sources_are_read_into_directives()
    {
        var f = Fm("training:\n  sources_policy: strict\n  sources:\n    - path: src\n      include: [\"**/*.cs\"]\n      exclude: [bin/**]\n      max_bytes_per_file: 1000\n      max_files: 5\n    - path: ~/notes\n");
        Assert.Equal(SourcesPolicy.Strict, f.Training.SourcesPolicy);
        var s = f.Training.Sources!;
        Assert.Equal(2, s.Count);
        Assert.Equal(("src", 1000L, 5), (s[0].Path, s[0].MaxBytesPerFile!.Value, s[0].MaxFiles!.Value));
        Assert.Equal(["**/*.cs"], s[0].Include);
        Assert.Equal(["bin/**"], s[0].Exclude);
        Assert.Equal(["**/*"], s[1].Include);
        Assert.Empty(s[1].Exclude);
        Assert.Null(s[1].MaxFiles);
        Assert.Equal("doc.dlm:7:7: training.sources[0].path is required", Error("training:\n  sources:\n    - include: [x]\n"));
        Assert.Equal("doc.dlm:8:18: training.sources[0].max_files: 0 is out of range [1, 2147483647]", Error("training:\n  sources:\n    - path: a\n      max_files: 0\n"));
    }

    [Fact]
    public void Keys_accepted_but_not_implemented_are_reported_once_each()
    {
        var d = Docs.Parse(Docs.Front("training:\n  adapter: qlora\n  cpt:\n    schedule: dapt\n  cache:\n    enabled: false\n  audio: {}\n  optimizer: paged_adamw_8bit\n") +
                           "x\n::image path=\"a.png\"::\n::image path=\"b.png\"::\n");
        var messages = d.Warnings.Select(w => w.ToString()).ToList();
        Assert.Equal(
        [
            "doc.dlm:6:3: warning: training.adapter: qlora is accepted but not implemented by dlm yet",
            "doc.dlm:7:3: warning: training.cpt is accepted but not implemented by dlm yet",
            "doc.dlm:9:3: warning: training.cache is accepted but not implemented by dlm yet",
            "doc.dlm:11:3: warning: training.audio is accepted but not implemented by dlm yet",
            "doc.dlm:12:3: warning: training.optimizer: paged_adamw_8bit is accepted but not implemented by dlm yet (AdamW is used)",
            "doc.dlm:15:1: warning: ::image:: sections are accepted but not trained by dlm yet",
        ], messages);
        Assert.Equal("dora", Fm("training:\n  adapter: dora\n").Training.Adapter);
    }

    [Fact]
    public void Named_adapters_are_read()
    {
        var d = Docs.Parse(Docs.Front("training:\n  adapters:\n    tone:\n      lora_r: 4\n    facts: {}\n") + "x\n");
        var a = d.Frontmatter.Training.Adapters!;
        Assert.Equal(4, a["tone"].LoraR);
        Assert.Equal(8, a["facts"].LoraR);
        Assert.Contains(d.Warnings, w => w.Message.StartsWith("training.adapters", StringComparison.Ordinal));
    }

    [Fact]
    public void Integral_numbers_are_integers_and_quoted_numbers_are_numbers()
    {
        var f = Fm("training:\n  num_epochs: 3.0\n  lora_r: \"12\"\n  grad_accum: 2.0\n  lora_dropout: .05\n  warmup_ratio: '0.2'\n");
        Assert.Equal((3, 12, 2, 0.05, 0.2), (f.Training.NumEpochs, f.Training.LoraR, f.Training.GradAccum!.Value, f.Training.LoraDropout, f.Training.WarmupRatio));
    }

    [Fact]
    public void Null_optional_values_take_their_defaults()
    {
        var f = Fm("system_prompt: null\ntraining:\n  precision: ~\n  sources:\n");
        Assert.Null(f.SystemPrompt);
        Assert.Null(f.Training.Precision);
        Assert.Null(f.Training.Sources);
    }
}
