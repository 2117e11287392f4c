using System.Globalization;
using Dlm.Core;
using Dlm.Core.Config;
using Dlm.Data.Settings;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Dlm.Training.FromScratch;

/// <summary>
/// Reads a from-scratch settings file: the <c>data:</c> block through <see cref="SettingsLoader"/>, and
/// the blocks <c>model:</c>, <c>run:</c>, <c>pretrain:</c>, <c>sft:</c> here. Overrides are
/// <c>key=value</c> with dotted keys (<c>pretrain.max_steps=200</c>, <c>model.init=DIR</c>,
/// <c>data.seed=7</c>); the last one of a key wins. Unknown keys and bad values are errors naming the
/// file, line and column (or the override). Relative paths resolve against the settings file's folder
/// (the current folder for overrides and the built-in defaults).
/// </summary>
public static class ScratchSettingsLoader
{
    /// <summary>The blocks this loader owns beside <c>data:</c>.</summary>
    public static IReadOnlyList<string> Blocks => SettingsLoader.TrainingBlocks;

    private static readonly string[] ModelKeys = ["init", "context_length", "d_model", "layers", "heads", "d_ff", "dropout"];
    private static readonly string[] RunKeys = ["dir"];
    private static readonly string[] StageKeys =
    [
        "batch_size", "context_length", "max_steps", "max_minutes", "lr", "min_lr", "warmup_steps", "beta1", "beta2", "weight_decay",
        "grad_clip", "eval_every", "eval_batches", "save_every", "keep_checkpoints", "seed",
    ];

    private sealed record Value(string? Text, string Where, string Anchor);

    /// <summary>Loads <paramref name="path"/> (null: the built-in data defaults) with <paramref name="overrides"/> on top.</summary>
    /// <exception cref="DlmException">The file or an override is invalid.</exception>
    public static ScratchSettings Load(string? path, IReadOnlyList<KeyValueArg>? overrides = null)
    {
        overrides ??= [];
        var dataOverrides = overrides.Where(o => o.Key == "data" || o.Key.StartsWith("data.", StringComparison.Ordinal)).ToList();
        var data = SettingsLoader.Load(path, dataOverrides, Blocks);
        var cwd = Directory.GetCurrentDirectory();
        var values = new Dictionary<string, Value>(StringComparer.Ordinal);
        string baseDir = cwd;
        if (path is not null)
        {
            var full = Path.GetFullPath(path);
            baseDir = Path.GetDirectoryName(full)!;
            ReadFile(File.ReadAllText(full), path, baseDir, values);
        }
        foreach (var o in overrides)
        {
            if (dataOverrides.Contains(o)) continue;
            var where = $"{o.Key}={o.Value} (command line)";
            var dot = o.Key.IndexOf('.', StringComparison.Ordinal);
            var block = dot < 0 ? o.Key : o.Key[..dot];
            if (!Blocks.Contains(block) || dot < 0)
                throw new UsageException($"{where}: unknown key (keys start with data., model., run., pretrain. or sft.)");
            CheckKey(block, o.Key[(dot + 1)..], where);
            values[o.Key] = new Value(ValueCast.IsNone(o.Value) ? null : o.Value, where, cwd);
        }

        var model = new ScratchModelSettings
        {
            Init = Get(values, "model.init") is { } init ? ModelInit(init) : "preset:niels-small",
            ContextLength = IntOrNull(values, "model.context_length", 1),
            DModel = IntOrNull(values, "model.d_model", 1),
            Layers = IntOrNull(values, "model.layers", 1),
            Heads = IntOrNull(values, "model.heads", 1),
            DFf = IntOrNull(values, "model.d_ff", 1),
            Dropout = FloatOrNull(values, "model.dropout", 0, 0.999) is { } d ? (float)d : null,
        };
        var runDir = Get(values, "run.dir") is { } rd ? PathOf(rd) : Path.GetFullPath(Path.Combine(baseDir, "runs", "scratch"));
        return new ScratchSettings
        {
            SettingsPath = path is null ? null : Path.GetFullPath(path),
            Data = data,
            Model = model,
            RunDir = runDir,
            Pretrain = Stage(values, "pretrain", StageSettings.PretrainDefaults),
            Sft = Stage(values, "sft", StageSettings.SftDefaults) with { Init = Get(values, "sft.init") is { } si ? PathOf(si) : null },
        };
    }

    private static string PathOf(Value v)
    {
        var text = v.Text!;
        if (text.StartsWith("~/", StringComparison.Ordinal))
            text = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), text[2..]);
        return Path.GetFullPath(Path.Combine(v.Anchor, text));
    }

    private static string ModelInit(Value v) => v.Text!.StartsWith("preset:", StringComparison.Ordinal) ? v.Text! : PathOf(v);

    private static StageSettings Stage(Dictionary<string, Value> values, string block, StageSettings d)
    {
        string K(string k) => $"{block}.{k}";
        var s = new StageSettings
        {
            BatchSize = IntOr(values, K("batch_size"), 1, d.BatchSize),
            ContextLength = IntOrNull(values, K("context_length"), 1),
            MaxSteps = IntOr(values, K("max_steps"), 1, d.MaxSteps),
            MaxMinutes = FloatOrNull(values, K("max_minutes"), 0, double.MaxValue),
            LearningRate = (float)(FloatOrNull(values, K("lr"), 0, 10) ?? d.LearningRate),
            MinLearningRate = (float)(FloatOrNull(values, K("min_lr"), 0, 10) ?? d.MinLearningRate),
            WarmupSteps = IntOr(values, K("warmup_steps"), 0, d.WarmupSteps),
            Beta1 = (float)(FloatOrNull(values, K("beta1"), 0, 0.999999) ?? d.Beta1),
            Beta2 = (float)(FloatOrNull(values, K("beta2"), 0, 0.999999) ?? d.Beta2),
            WeightDecay = (float)(FloatOrNull(values, K("weight_decay"), 0, 10) ?? d.WeightDecay),
            GradClip = (float)(FloatOrNull(values, K("grad_clip"), 0, double.MaxValue) ?? d.GradClip),
            EvalEvery = IntOr(values, K("eval_every"), 1, d.EvalEvery),
            EvalBatches = IntOr(values, K("eval_batches"), 1, d.EvalBatches),
            SaveEvery = IntOr(values, K("save_every"), 1, d.SaveEvery),
            KeepCheckpoints = IntOr(values, K("keep_checkpoints"), 0, d.KeepCheckpoints),
            Seed = values.TryGetValue(K("seed"), out var seed) ? Int(seed, K("seed"), 0) : d.Seed,
        };
        if (s.MinLearningRate > s.LearningRate)
            throw new DlmException($"{values.GetValueOrDefault(K("min_lr"))?.Where ?? values[K("lr")].Where}: {K("min_lr")} ({s.MinLearningRate}) is above {K("lr")} ({s.LearningRate})");
        return s;
    }

    private static Value? Get(Dictionary<string, Value> values, string key) =>
        values.TryGetValue(key, out var v) && v.Text is not null ? v : null;

    private static long Int(Value v, string key, long min)
    {
        long n;
        try { n = ValueCast.ToInt(key, v.Text ?? throw new DlmException($"{key}: a value is required")); }
        catch (DlmException e) { throw new DlmException($"{v.Where}: {e.Message}"); }
        return n >= min ? n : throw new DlmException($"{v.Where}: {key} must be at least {min}, got {n}");
    }

    private static int IntOr(Dictionary<string, Value> values, string key, long min, int fallback) =>
        Get(values, key) is { } v ? (int)Math.Min(int.MaxValue, Int(v, key, min)) : fallback;

    private static int? IntOrNull(Dictionary<string, Value> values, string key, long min) =>
        Get(values, key) is { } v ? (int)Math.Min(int.MaxValue, Int(v, key, min)) : null;

    private static double? FloatOrNull(Dictionary<string, Value> values, string key, double min, double max)
    {
        if (Get(values, key) is not { } v) return null;
        double f;
        try { f = ValueCast.ToFloat(key, v.Text!); }
        catch (DlmException e) { throw new DlmException($"{v.Where}: {e.Message}"); }
        return f >= min && f <= max ? f
            : throw new DlmException($"{v.Where}: {key} must be in [{min.ToString(CultureInfo.InvariantCulture)}, {max.ToString(CultureInfo.InvariantCulture)}], got {f.ToString(CultureInfo.InvariantCulture)}");
    }

    private static void CheckKey(string block, string key, string where)
    {
        var known = block switch
        {
            "model" => ModelKeys,
            "run" => RunKeys,
            "sft" => [.. StageKeys, "init"],
            _ => StageKeys,
        };
        if (!known.Contains(key)) throw new DlmException($"{where}: unknown key {block}.{key} (known: {string.Join(", ", known)})");
    }

    private static void ReadFile(string yaml, string file, string baseDir, Dictionary<string, Value> values)
    {
        var stream = new YamlStream();
        try { stream.Load(new StringReader(yaml)); }
        catch (YamlException e) { throw new DlmException(new SourceLocation(file, (int)e.Start.Line, (int)e.Start.Column), $"invalid YAML: {e.Message}"); }
        if (stream.Documents.Count == 0 || stream.Documents[0].RootNode is not YamlMappingNode root) return;
        string At(YamlNode n) => new SourceLocation(file, (int)n.Start.Line, (int)n.Start.Column).ToString();
        foreach (var (k, v) in root.Children)
        {
            var block = (k as YamlScalarNode)?.Value;
            if (block is null || !Blocks.Contains(block)) continue;
            if (v is YamlScalarNode { Value: null or "" or "~" or "null" }) continue;
            if (v is not YamlMappingNode m) throw new DlmException($"{At(v)}: {block}: expected a mapping");
            foreach (var (ik, iv) in m.Children)
            {
                var name = (ik as YamlScalarNode)?.Value ?? throw new DlmException($"{At(ik)}: {block}: keys must be plain names");
                CheckKey(block, name, At(ik));
                if (iv is not YamlScalarNode s) throw new DlmException($"{At(iv)}: {block}.{name}: expected a single value");
                bool isNull = s.Style == ScalarStyle.Plain && s.Value is null or "" or "~" or "null" or "Null" or "NULL";
                values[$"{block}.{name}"] = new Value(isNull ? null : s.Value, At(iv), baseDir);
            }
        }
    }
}
