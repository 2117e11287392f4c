using System.Globalization;
using System.Text.RegularExpressions;
using Dlm.Documents.Descent;
using Dlm.Documents.Ids;

namespace Dlm.Documents.Format;

/// <summary>
/// Frontmatter YAML to <see cref="DlmFrontmatter"/>: version check, migration to the current
/// schema, then every field with its default and range (shared/REFERENCE.md R2).
/// </summary>
internal static partial class FrontmatterBinder
{
    private static readonly string[] RootKeys = ["dlm_id", "dlm_version", "base_model", "system_prompt", "training", "export"];

    private static readonly string[] TrainingKeys =
    [
        "adapter", "lora_r", "lora_alpha", "lora_dropout", "target_modules", "sequence_len", "micro_batch_size",
        "grad_accum", "learning_rate", "num_epochs", "optimizer", "lr_scheduler", "warmup_ratio", "precision", "seed",
        "preference", "cpt", "gate", "cache", "audio", "adapters", "sources", "sources_policy",
    ];

    private static readonly string[] AdapterKinds = ["lora", "qlora", "dora"];

    /// <summary>Binds the YAML root (null for an empty frontmatter, which then lacks the required keys).</summary>
    public static DlmFrontmatter Bind(YNode? rootNode, BindContext ctx, int frontmatterLine)
    {
        if (rootNode is YScalar { IsNull: true }) rootNode = null;
        var root = rootNode switch
        {
            null => new YMap([], frontmatterLine, 1),
            YMap m => m,
            _ => throw ctx.Error(rootNode, "frontmatter must be a YAML mapping of keys to values"),
        };

        var written = ReadVersion(root, ctx);
        for (var v = written; v < DlmSchema.CurrentVersion; v++)
            root = DlmSchema.Migrations[v](root, new MigrationContext(ctx));

        var r = new MapReader(root, "", ctx, RootKeys);
        var id = r.RequiredStr("dlm_id", root);
        if (!DocumentIds.IsValid(id))
            throw ctx.Error(r.Entry("dlm_id")!.Value, $"dlm_id must be a 26-character Crockford base32 ULID, got '{id}'");
        var baseModel = r.RequiredStr("base_model", root);
        var systemPrompt = r.OptStr("system_prompt");
        var training = BindTraining(r.Map("training", TrainingKeys));
        var export = BindExport(r.Map("export", ["default_quant", "default_temperature", "default_top_p"]));
        return new DlmFrontmatter(id, DlmSchema.CurrentVersion, written, baseModel, systemPrompt, training, export,
            new SortedSet<string>(ctx.Explicit, StringComparer.Ordinal));
    }

    private static int ReadVersion(YMap root, BindContext ctx)
    {
        var e = root.Find("dlm_version");
        if (e is null) return 1;
        ctx.Explicit.Add("dlm_version");
        if (e.Value is not YScalar s || !long.TryParse(s.Value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var v)
            || s.Value.Contains('.', StringComparison.Ordinal))
            throw ctx.Error(e.Value, $"dlm_version: expected an integer, got '{(e.Value as YScalar)?.Value}'");
        if (v > DlmSchema.CurrentVersion)
            throw ctx.Error(e.Value,
                $"dlm_version {v} is newer than this dlm supports (schema version {DlmSchema.CurrentVersion}); upgrade dlm to read it");
        if (v < 1)
            throw ctx.Error(e.Value, $"dlm_version must be at least 1, got {v}");
        return (int)v;
    }

    private static TrainingConfig BindTraining(MapReader t)
    {
        var adapter = t.Str("adapter", "lora", AdapterKinds);
        if (adapter != "lora") t.NotUsed("adapter", $"training.adapter: {adapter} is accepted but not implemented by dlm yet");
        var loraR = t.Int("lora_r", 8, 1, 256);
        var loraAlpha = t.Int("lora_alpha", 16, 1);
        var loraDropout = t.Float("lora_dropout", 0.05, 0, 0.5);
        var targets = t.StrList("target_modules", allowAuto: true);
        var sequenceLen = t.Int("sequence_len", 2048, 64, 32768);
        var micro = t.AutoOrPositive("micro_batch_size");
        var accum = t.AutoOrPositive("grad_accum");
        var lr = t.Float("learning_rate", 2e-4, 0, minExclusive: true);
        var epochs = t.Int("num_epochs", 3, 1);
        var optimizer = t.Str("optimizer", "adamw_torch", "adamw_torch", "adamw_bnb_8bit", "paged_adamw_8bit");
        if (optimizer != "adamw_torch")
            t.NotUsed("optimizer", $"training.optimizer: {optimizer} is accepted but not implemented by dlm yet (AdamW is used)");
        var scheduler = t.Str("lr_scheduler", "cosine", "cosine", "linear", "constant");
        var warmup = t.Float("warmup_ratio", 0.1, 0, 0.5);
        var precision = t.OptStr("precision", "bf16", "fp16", "fp32");
        var seed = t.Long("seed", 42);

        var preference = BindPreference(t.Map("preference", ["enabled", "method", "hyperparams", "loss_type", "reference"]));

        var cptMap = t.Map("cpt", ["schedule", "embed_warmup_steps"]);
        var cpt = new CptConfig(cptMap.Str("schedule", "auto", "auto", "dapt", "sft"), cptMap.Int("embed_warmup_steps", 0, 0));
        t.NotUsed("cpt", "training.cpt is accepted but not implemented by dlm yet");

        var g = t.Map("gate", ["enabled", "hidden_proj_dim", "steps", "lr", "cold_start_floor", "entropy_lambda"]);
        var gate = new GateConfig(g.Bool("enabled", false), g.Int("hidden_proj_dim", 64, 8, 2048), g.Int("steps", 200, 1, 10000),
            g.Float("lr", 3e-4, 0, 1, minExclusive: true), g.Int("cold_start_floor", 4, 1, 1024), g.Float("entropy_lambda", 0.01, 0, 1));
        t.NotUsed("gate", "training.gate is accepted but not implemented by dlm yet");

        var c = t.Map("cache", ["enabled", "max_bytes", "prune_older_than_days"]);
        var cache = new CacheConfig(c.Bool("enabled", true), c.Long("max_bytes", 10L * 1024 * 1024 * 1024, 1), c.Int("prune_older_than_days", 90, 1));
        t.NotUsed("cache", "training.cache is accepted but not implemented by dlm yet");

        var a = t.Map("audio", ["auto_resample"]);
        var audio = new AudioConfig(a.Bool("auto_resample", false));
        t.NotUsed("audio", "training.audio is accepted but not implemented by dlm yet");

        var adapters = BindAdapters(t);
        var sources = BindSources(t);
        var policy = t.Str("sources_policy", "permissive", "permissive", "strict") == "strict" ? SourcesPolicy.Strict : SourcesPolicy.Permissive;

        if (gate.Enabled && (adapters is null || adapters.Count < 2))
            throw Error(t, "gate", "training.gate.enabled: true needs training.adapters with two or more named adapters");
        if (adapters is not null)
        {
            var drift = new List<string>();
            if (adapter != "lora") drift.Add("adapter");
            if (loraR != 8) drift.Add("lora_r");
            if (loraAlpha != 16) drift.Add("lora_alpha");
            if (loraDropout != 0.05) drift.Add("lora_dropout");
            if (targets is not null) drift.Add("target_modules");
            if (lr != 2e-4) drift.Add("learning_rate");
            if (drift.Count > 0)
                throw Error(t, "adapters", $"training.adapters is declared, so the flat fields {string.Join(", ", drift)} must stay at their defaults (move them into each adapter)");
        }

        return new TrainingConfig(adapter, loraR, loraAlpha, loraDropout, targets, sequenceLen, micro, accum, lr, epochs, optimizer,
            scheduler, warmup, precision, seed, preference, cpt, gate, cache, audio, adapters, sources, policy);
    }

    private static PreferenceConfig BindPreference(MapReader p)
    {
        var h = p.Map("hyperparams", ["beta", "alpha", "learning_rate", "num_epochs"]);
        var hyper = new PreferenceHyperparams(h.Float("beta", 0.1, 0, 1), h.Float("alpha", 0.1, 0, 1),
            h.Float("learning_rate", 5e-6, 0, minExclusive: true), h.Int("num_epochs", 1, 1));
        return new PreferenceConfig(p.Bool("enabled", false), p.Str("method", "dpo", "dpo", "orpo"), hyper,
            p.Str("loss_type", "sigmoid", "sigmoid", "hinge", "ipo"), p.Str("reference", "pre_adapter", "base", "pre_adapter"));
    }

    private static Dictionary<string, AdapterConfig>? BindAdapters(MapReader t)
    {
        var e = t.Present("adapters");
        if (e is null) return null;
        if (e.Value is not YMap m) throw Error(t, "adapters", "training.adapters: expected a mapping of adapter names to settings");
        if (m.Entries.Count == 0)
            throw Error(t, "adapters", "training.adapters: declare at least one adapter (or omit the block for the single adapter)");
        var result = new Dictionary<string, AdapterConfig>(StringComparer.Ordinal);
        var all = new MapReader(m, "training.adapters", BindContextOf(t), m.Entries.Select(x => x.Key).ToArray());
        foreach (var entry in m.Entries)
        {
            if (!AdapterName().IsMatch(entry.Key))
                throw BindContextOf(t).Error(entry.Line, entry.Column,
                    $"training.adapters: '{entry.Key}' is not a valid adapter name (must match ^[a-z][a-z0-9_]{{0,31}}$)");
            var r = all.Map(entry.Key, ["adapter", "lora_r", "lora_alpha", "lora_dropout", "target_modules", "learning_rate"]);
            var kind = r.Str("adapter", "lora", AdapterKinds);
            if (kind != "lora") r.NotUsed("adapter", $"{r.Dotted("adapter")}: {kind} is accepted but not implemented by dlm yet");
            result[entry.Key] = new AdapterConfig(kind, r.Int("lora_r", 8, 1, 256), r.Int("lora_alpha", 16, 1),
                r.Float("lora_dropout", 0.05, 0, 0.5), r.StrList("target_modules", allowAuto: true),
                r.Float("learning_rate", 2e-4, 0, minExclusive: true));
        }
        t.NotUsed("adapters", "training.adapters (named adapters) is accepted but not implemented by dlm yet");
        return result;
    }

    private static List<SourceDirective>? BindSources(MapReader t)
    {
        var e = t.Present("sources");
        if (e is null) return null;
        if (e.Value is not YSeq seq) throw Error(t, "sources", "training.sources: expected a list of {path, include, exclude, ...}");
        var ctx = BindContextOf(t);
        var list = new List<SourceDirective>();
        for (var i = 0; i < seq.Items.Count; i++)
        {
            if (seq.Items[i] is not YMap item) throw ctx.Error(seq.Items[i], $"training.sources[{i}]: expected a mapping with a path");
            var r = new MapReader(item, $"training.sources[{i}]", ctx, ["path", "include", "exclude", "max_bytes_per_file", "max_files"]);
            var path = r.RequiredStr("path", item);
            var include = r.StrList("include", allowAuto: false) ?? ["**/*"];
            var exclude = r.StrList("exclude", allowAuto: false) ?? [];
            var maxBytes = r.OptLong("max_bytes_per_file", 1);
            var maxFiles = r.OptLong("max_files", 1, int.MaxValue);
            list.Add(new SourceDirective(path, include, exclude, maxBytes, (int?)maxFiles));
        }
        return list;
    }

    private static ExportConfig BindExport(MapReader x) =>
        new(x.Str("default_quant", "Q4_K_M", "Q4_K_M", "Q5_K_M", "Q6_K", "Q8_0"),
            x.OptFloat("default_temperature", 0, 2, minExclusive: true),
            x.OptFloat("default_top_p", 0, 1, minExclusive: true));

    private static Dlm.Core.DlmException Error(MapReader r, string key, string message)
    {
        var e = r.Entry(key)!;
        return BindContextOf(r).Error(e.Line, e.Column, message);
    }

    private static BindContext BindContextOf(MapReader r) => r.Context;

    [GeneratedRegex("^[a-z][a-z0-9_]{0,31}$", RegexOptions.CultureInvariant)]
    private static partial Regex AdapterName();
}
