using System.Globalization;
using System.Text.RegularExpressions;
using Dlm.Chat;
using Dlm.Chat.Renderers;
using Dlm.Core;
using Dlm.Core.Config;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Dlm.Data.Settings;

/// <summary>
/// Reads a data settings file (YAML, one top-level <c>data:</c> block) and command-line overrides
/// (<c>data.seed=7</c>, <c>data.mix_pretrain=brown:1.0</c>; the chz syntax of
/// <see cref="KeyValueArgs"/>) into <see cref="DataSettings"/>. Every error names the file, line and
/// column (or the override), the dotted key and what is wrong. Relative paths resolve against the
/// settings file's folder (the current folder for the built-in defaults and for overrides).
/// </summary>
public static partial class SettingsLoader
{
    /// <summary>The built-in defaults: niels-gpt's sources and mixes (REFERENCE.md R1), paths under <c>data/</c>.</summary>
    public const string DefaultYaml = """
        data:
          caches:
            pretrain_token_cache: data/cache/pretrain
            sft_token_cache: data/cache/sft
          tokenizer:
            path: data/tokenizer/spm.model
          sources:
            fineweb_edu: {kind: parquet, path: data/fineweb-edu, val_tokens: 5000000, train_tokens: 200000000, shuffle_buffer: 10000, dataset_name: HuggingFaceFW/fineweb-edu}
            wikitext: {kind: wikitext, path: data/wikitext-103-raw/wiki.train.raw, val_path: data/wikitext-103-raw/wiki.valid.raw, unit: line, dataset_config: wikitext-103-raw-v1}
            roam: {kind: text_dir, path: data/roam, val_frac: 0.1}
            primer: {kind: primer, path: data/primer.jsonl}
            oasst1: {kind: oasst1, path: data/oasst1, dataset_name: OpenAssistant/oasst1}
            dolly15k: {kind: dolly, path: data/databricks-dolly-15k.jsonl, dataset_name: databricks/databricks-dolly-15k}
          mix_pretrain: {fineweb_edu: 0.70, wikitext: 0.20, roam: 0.10}
          mix_sft: {primer: 0.10, oasst1: 0.70, dolly15k: 0.20}
        """;

    /// <summary>
    /// The blocks of the from-scratch trainer (<c>model:</c>, <c>run:</c>, <c>pretrain:</c>, <c>sft:</c>;
    /// read by Dlm.Training's ScratchSettingsLoader), accepted beside <c>data:</c> so one settings file
    /// serves <c>cache build-all</c> and <c>pretrain</c>/<c>sft</c>/<c>pipeline</c>.
    /// </summary>
    public static IReadOnlyList<string> TrainingBlocks { get; } = ["model", "run", "pretrain", "sft"];

    /// <summary>
    /// Loads <paramref name="path"/> (null: the built-in defaults) with <paramref name="overrides"/> applied
    /// on top, the last occurrence of a key winning.
    /// </summary>
    /// <exception cref="DlmException">The file is missing or invalid, or an override is.</exception>
    /// <param name="path">The settings file, or null.</param>
    /// <param name="overrides">Overrides of <c>data.*</c> keys.</param>
    /// <param name="otherBlocks">Top-level blocks besides <c>data:</c> that another reader owns; they are left alone
    /// here instead of being refused (default <see cref="TrainingBlocks"/>).</param>
    public static DataSettings Load(string? path, IReadOnlyList<KeyValueArg>? overrides = null, IReadOnlyCollection<string>? otherBlocks = null)
    {
        if (path is null) return Parse(DefaultYaml, null, Directory.GetCurrentDirectory(), overrides, otherBlocks);
        if (!File.Exists(path)) throw new DlmException($"{path}: settings file not found");
        var full = Path.GetFullPath(path);
        return Parse(File.ReadAllText(full), path, Path.GetDirectoryName(full)!, overrides, otherBlocks);
    }

    /// <summary>Parses settings text; <paramref name="displayPath"/> names it in errors, <paramref name="baseDirectory"/> anchors relative paths.</summary>
    public static DataSettings Parse(string yaml, string? displayPath, string baseDirectory, IReadOnlyList<KeyValueArg>? overrides = null,
        IReadOnlyCollection<string>? otherBlocks = null)
    {
        ArgumentNullException.ThrowIfNull(yaml);
        var binder = new Binder(displayPath ?? "(built-in defaults)", baseDirectory, otherBlocks ?? TrainingBlocks);
        var root = binder.ReadRoot(yaml);
        foreach (var o in overrides ?? []) binder.ApplyOverride(root, o);
        return binder.Bind(root, displayPath is null ? null : Path.GetFullPath(displayPath));
    }

    private sealed class Binder(string file, string baseDirectory, IReadOnlyCollection<string> otherBlocks)
    {
        // Nodes put in place by an override: errors about them name the override, not a file line.
        private readonly Dictionary<YamlNode, KeyValueArg> _fromCommandLine = new(ReferenceEqualityComparer.Instance);

        public YamlMappingNode ReadRoot(string yaml)
        {
            var stream = new YamlStream();
            try
            {
                stream.Load(new StringReader(yaml));
            }
            catch (YamlException e)
            {
                throw new DlmException(new SourceLocation(file, (int)e.Start.Line, (int)e.Start.Column), $"invalid YAML: {Inner(e).Message}");
            }
            if (stream.Documents.Count == 0) return new YamlMappingNode();
            return stream.Documents[0].RootNode switch
            {
                YamlMappingNode m => m,
                YamlScalarNode { Value: null or "" } => new YamlMappingNode(),
                var n => throw Error(n, "", "the settings file must be a mapping with a 'data:' block"),
            };
        }

        private static Exception Inner(Exception e) => e.InnerException is YamlException inner ? Inner(inner) : e;

        public void ApplyOverride(YamlMappingNode root, KeyValueArg arg)
        {
            var parts = arg.Key.Split('.');
            var node = root;
            for (int i = 0; i < parts.Length - 1; i++)
            {
                var key = new YamlScalarNode(parts[i]);
                if (!node.Children.TryGetValue(key, out var child) || child is not YamlMappingNode m)
                {
                    m = new YamlMappingNode();
                    node.Children[key] = m;
                    _fromCommandLine[m] = arg;
                }
                node = m;
            }
            var value = OverrideValue(arg, parts[^1]);
            node.Children[new YamlScalarNode(parts[^1])] = value;
        }

        private YamlNode OverrideValue(KeyValueArg arg, string leaf)
        {
            YamlNode value;
            var text = arg.Value.Trim();
            if (text.StartsWith('{') || text.StartsWith('['))
            {
                var s = new YamlStream();
                try { s.Load(new StringReader(text)); }
                catch (YamlException e) { throw new DlmException($"{arg.Key}={arg.Value} (command line): invalid value: {Inner(e).Message}"); }
                value = s.Documents[0].RootNode;
            }
            else if (leaf is "mix_pretrain" or "mix_sft")
            {
                // chz-style list of name:weight pairs; an override replaces the whole mix.
                var m = new YamlMappingNode();
                foreach (var item in ValueCast.ToList(text))
                {
                    int colon = item.LastIndexOf(':');
                    if (colon <= 0) throw new DlmException($"{arg.Key}={arg.Value} (command line): expected name:weight pairs separated by commas, got '{item}'");
                    m.Children[new YamlScalarNode(item[..colon].Trim())] = new YamlScalarNode(item[(colon + 1)..].Trim());
                }
                value = m;
            }
            else value = new YamlScalarNode(text);
            Mark(value, arg);
            return value;
        }

        private void Mark(YamlNode node, KeyValueArg arg)
        {
            _fromCommandLine[node] = arg;
            if (node is YamlMappingNode m)
                foreach (var (k, v) in m.Children) { Mark(k, arg); Mark(v, arg); }
            else if (node is YamlSequenceNode s)
                foreach (var c in s.Children) Mark(c, arg);
        }

        private DlmException Error(YamlNode node, string key, string message)
        {
            var what = key.Length == 0 ? message : $"{key}: {message}";
            if (_fromCommandLine.TryGetValue(node, out var arg)) return new DlmException($"{arg.Key}={arg.Value} (command line): {what}");
            return new DlmException(new SourceLocation(file, (int)node.Start.Line, (int)node.Start.Column), what);
        }

        private string Where(YamlNode node) =>
            _fromCommandLine.TryGetValue(node, out var arg) ? $"{arg.Key}={arg.Value} (command line)"
                : new SourceLocation(file, (int)node.Start.Line, (int)node.Start.Column).ToString();

        private string ResolvePath(YamlNode node, string text)
        {
            if (text.StartsWith("~/", StringComparison.Ordinal))
                text = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), text[2..]);
            var anchor = _fromCommandLine.ContainsKey(node) ? Directory.GetCurrentDirectory() : baseDirectory;
            return Path.GetFullPath(Path.Combine(anchor, text));
        }

        // ---- typed readers ----

        private Dictionary<string, (YamlNode Key, YamlNode Value)> Mapping(YamlNode node, string key, params string[] known)
        {
            if (node is not YamlMappingNode m) throw Error(node, key, "expected a mapping");
            var result = new Dictionary<string, (YamlNode, YamlNode)>(StringComparer.Ordinal);
            foreach (var (k, v) in m.Children)
            {
                var name = (k as YamlScalarNode)?.Value ?? throw Error(k, key, "keys must be plain names");
                var dotted = key.Length == 0 ? name : $"{key}.{name}";
                if (known.Length > 0 && !known.Contains(name))
                    throw Error(k, dotted, $"unknown key{Suggest(name, known)} (known: {string.Join(", ", known)})");
                if (!result.TryAdd(name, (k, v))) throw Error(k, dotted, "duplicate key");
            }
            return result;
        }

        private static string Suggest(string name, IEnumerable<string> known)
        {
            var best = known.Select(k => (k, d: Distance(name, k))).OrderBy(t => t.d).FirstOrDefault();
            return best.k is not null && best.d <= Math.Max(2, name.Length / 3) ? $"; did you mean '{best.k}'?" : "";
        }

        private static int Distance(string a, string b)
        {
            var d = new int[a.Length + 1, b.Length + 1];
            for (int i = 0; i <= a.Length; i++) d[i, 0] = i;
            for (int j = 0; j <= b.Length; j++) d[0, j] = j;
            for (int i = 1; i <= a.Length; i++)
                for (int j = 1; j <= b.Length; j++)
                    d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
            return d[a.Length, b.Length];
        }

        private string? Scalar(YamlNode node, string key)
        {
            if (node is not YamlScalarNode s) throw Error(node, key, "expected a single value");
            if (s.Style == ScalarStyle.Plain && (s.Value is null or "" or "~" or "null" or "Null" or "NULL")) return null;
            if (_fromCommandLine.ContainsKey(node) && ValueCast.IsNone(s.Value ?? "")) return null;
            return s.Value;
        }

        private string String(YamlNode node, string key) =>
            Scalar(node, key) ?? throw Error(node, key, "a value is required here");

        private T Cast<T>(YamlNode node, string key, Func<string, T> cast)
        {
            var text = String(node, key);
            try { return cast(text); }
            catch (DlmException e) { throw Error(node, "", e.Message); }
        }

        private long Int(YamlNode node, string key, long min)
        {
            var v = Cast(node, key, t => ValueCast.ToInt(key, t));
            return v >= min ? v : throw Error(node, key, $"must be at least {min}, got {v}");
        }

        private double Float(YamlNode node, string key) => Cast(node, key, t => ValueCast.ToFloat(key, t));

        // ---- the schema ----

        public DataSettings Bind(YamlMappingNode root, string? settingsPath)
        {
            var top = Mapping(root, "", ["data", .. otherBlocks]);
            if (!top.TryGetValue("data", out var dataEntry)) throw new DlmException($"{file}: no 'data:' block");
            var data = Mapping(dataEntry.Value, "data", "caches", "tokenizer", "renderer", "train_on_what", "seed", "shard_bytes",
                "sft_max_tokens", "sft_val_frac", "sources", "mix_pretrain", "mix_sft");

            string pretrainRoot = ResolvePath(root, "data/cache/pretrain"), sftRoot = ResolvePath(root, "data/cache/sft");
            if (data.TryGetValue("caches", out var caches))
            {
                var c = Mapping(caches.Value, "data.caches", "pretrain_token_cache", "sft_token_cache");
                if (c.TryGetValue("pretrain_token_cache", out var p)) pretrainRoot = ResolvePath(p.Value, String(p.Value, "data.caches.pretrain_token_cache"));
                if (c.TryGetValue("sft_token_cache", out var s)) sftRoot = ResolvePath(s.Value, String(s.Value, "data.caches.sft_token_cache"));
            }

            if (!data.TryGetValue("tokenizer", out var tokEntry)) throw Error(dataEntry.Value, "data.tokenizer", "required (path: a tokenizer.json or a folder holding one)");
            var tokenizer = BindTokenizer(tokEntry.Value);

            string renderer = "niels";
            if (data.TryGetValue("renderer", out var r))
            {
                renderer = String(r.Value, "data.renderer");
                if (!RendererRegistry.Names.Contains(renderer))
                    throw Error(r.Value, "data.renderer", $"unknown renderer '{renderer}' (known: {string.Join(", ", RendererRegistry.Names)})");
            }
            var trainOnWhat = TrainOnWhat.AllAssistantMessages;
            if (data.TryGetValue("train_on_what", out var tow))
            {
                var text = String(tow.Value, "data.train_on_what");
                if (!TrainOnWhatNames.TryParse(text, out trainOnWhat) || trainOnWhat == TrainOnWhat.Customized)
                    throw Error(tow.Value, "data.train_on_what", $"unknown or unusable value '{text}' (one of {string.Join(", ", TrainOnWhatNames.Values.Where(v => v != "customized"))})");
            }
            long seed = data.TryGetValue("seed", out var sd) ? Int(sd.Value, "data.seed", 0) : 42;
            long shardBytes = data.TryGetValue("shard_bytes", out var sb) ? Int(sb.Value, "data.shard_bytes", 4) : 128L << 20;
            int sftMax = data.TryGetValue("sft_max_tokens", out var sm) ? (int)Math.Min(int.MaxValue, Int(sm.Value, "data.sft_max_tokens", 2)) : 1024;
            double sftValFrac = 0.1;
            if (data.TryGetValue("sft_val_frac", out var svf))
            {
                sftValFrac = Float(svf.Value, "data.sft_val_frac");
                if (!(sftValFrac >= 0 && sftValFrac < 1)) throw Error(svf.Value, "data.sft_val_frac", $"must be in [0, 1), got {sftValFrac}");
            }

            var sources = new Dictionary<string, SourceSettings>(StringComparer.Ordinal);
            if (data.TryGetValue("sources", out var src))
                foreach (var (name, (k, v)) in Mapping(src.Value, "data.sources"))
                    sources[name] = BindSource(name, k, v);
            if (!sources.ContainsKey("primer"))
            {
                // The primer is always built (R1); without a declaration it is primer.jsonl beside the settings.
                var primerPath = settingsPath is null ? ResolvePath(root, "data/primer.jsonl") : Path.Combine(baseDirectory, "primer.jsonl");
                sources["primer"] = new SourceSettings("primer", SourceKind.Primer, primerPath, new SourceOptions(), new SourceLocation(file));
            }

            var mixPretrain = data.TryGetValue("mix_pretrain", out var mp)
                ? BindMix(mp.Value, "data.mix_pretrain", sources, sft: false)
                : DefaultMix("data.mix_pretrain", [new("fineweb_edu", 0.70), new("wikitext", 0.20), new("roam", 0.10)], sources, false, dataEntry.Value);
            var mixSft = data.TryGetValue("mix_sft", out var ms)
                ? BindMix(ms.Value, "data.mix_sft", sources, sft: true)
                : DefaultMix("data.mix_sft", [new("primer", 0.10), new("oasst1", 0.70), new("dolly15k", 0.20)], sources, true, dataEntry.Value);

            return new DataSettings
            {
                SettingsPath = settingsPath,
                PretrainRoot = pretrainRoot,
                SftRoot = sftRoot,
                Tokenizer = tokenizer,
                Renderer = renderer,
                TrainOnWhat = trainOnWhat,
                Seed = seed,
                ShardBytes = shardBytes,
                SftMaxTokens = sftMax,
                SftValFrac = sftValFrac,
                Sources = sources,
                MixPretrain = mixPretrain,
                MixSft = mixSft,
            };
        }

        private TokenizerSettings BindTokenizer(YamlNode node)
        {
            var t = Mapping(node, "data.tokenizer", "path", "special_tokens", "expected_special_token_ids");
            if (!t.TryGetValue("path", out var p)) throw Error(node, "data.tokenizer.path", "required (a tokenizer.json or a folder holding one)");
            var path = ResolvePath(p.Value, String(p.Value, "data.tokenizer.path"));
            var tokens = NielsGptTokens.Tokens;
            if (t.TryGetValue("special_tokens", out var st))
            {
                var m = Mapping(st.Value, "data.tokenizer.special_tokens", "sys", "usr", "asst", "eot");
                string Get(string k, string fallback) => m.TryGetValue(k, out var e) ? String(e.Value, $"data.tokenizer.special_tokens.{k}") : fallback;
                tokens = new NielsTokens(Get("sys", tokens.System), Get("usr", tokens.User), Get("asst", tokens.Assistant), Get("eot", tokens.EndOfTurn));
            }
            SpecialTokenIds? expected = null;
            if (t.TryGetValue("expected_special_token_ids", out var ex) && !(ex.Value is YamlScalarNode && Scalar(ex.Value, "") is null))
            {
                var m = Mapping(ex.Value, "data.tokenizer.expected_special_token_ids", "sys", "usr", "asst", "eot");
                int Get(string k) => m.TryGetValue(k, out var e)
                    ? (int)Int(e.Value, $"data.tokenizer.expected_special_token_ids.{k}", 0)
                    : throw Error(ex.Value, $"data.tokenizer.expected_special_token_ids.{k}", "required (give all of sys, usr, asst, eot)");
                expected = new SpecialTokenIds(Get("sys"), Get("usr"), Get("asst"), Get("eot"));
            }
            return new TokenizerSettings(path, tokens, expected);
        }

        private static readonly string[] CommonKeys = ["kind", "path", "dataset_name", "dataset_config"];
        private static readonly string[] PretrainKeys = ["val_tokens", "train_tokens", "shuffle_buffer"];

        private static string[] KeysOf(SourceKind kind) => kind switch
        {
            SourceKind.TextDir or SourceKind.Gutenberg => [.. CommonKeys, .. PretrainKeys, "glob", "val_frac"],
            SourceKind.Lines => [.. CommonKeys, .. PretrainKeys, "val_path"],
            SourceKind.WikiText => [.. CommonKeys, .. PretrainKeys, "val_path", "unit"],
            SourceKind.Brown => [.. CommonKeys, .. PretrainKeys, "val_frac"],
            SourceKind.Jsonl or SourceKind.Parquet => [.. CommonKeys, .. PretrainKeys, "val_path", "text_field"],
            SourceKind.Oasst1 => [.. CommonKeys, "val_frac", "val_path", "lang", "max_messages"],
            _ => [.. CommonKeys, "val_frac", "val_path"],
        };

        private SourceSettings BindSource(string name, YamlNode keyNode, YamlNode node)
        {
            var key = $"data.sources.{name}";
            if (!SourceName().IsMatch(name)) throw Error(keyNode, key, "a source name is letters, digits, '_', '-' or '.'");
            var all = Mapping(node, key);
            if (!all.TryGetValue("kind", out var kindEntry)) throw Error(node, $"{key}.kind", $"required (one of {string.Join(", ", SourceKinds.Names)})");
            var kindText = String(kindEntry.Value, $"{key}.kind");
            if (!SourceKinds.TryParse(kindText, out var kind))
                throw Error(kindEntry.Value, $"{key}.kind", $"unknown kind '{kindText}'{Suggest(kindText, SourceKinds.Names)} (one of {string.Join(", ", SourceKinds.Names)})");
            var known = KeysOf(kind);
            var m = Mapping(node, key, known);
            if (!m.TryGetValue("path", out var p)) throw Error(node, $"{key}.path", "required (the source's file or folder)");
            var path = ResolvePath(p.Value, String(p.Value, $"{key}.path"));
            var o = new SourceOptions();
            foreach (var (opt, (_, v)) in m)
            {
                var k = $"{key}.{opt}";
                o = opt switch
                {
                    "kind" or "path" => o,
                    "val_path" => o with { ValPath = Scalar(v, k) is { } vp ? ResolvePath(v, vp) : null },
                    "val_tokens" => o with { ValTokens = Int(v, k, 0) },
                    "train_tokens" => o with { TrainTokens = Scalar(v, k) is null ? null : Int(v, k, 0) },
                    "val_frac" => o with { ValFrac = Fraction(v, k) },
                    "shuffle_buffer" => o with { ShuffleBuffer = (int)Math.Min(int.MaxValue, Int(v, k, 0)) },
                    "glob" => o with { Glob = String(v, k) },
                    "text_field" => o with { TextField = String(v, k) },
                    "unit" => o with { Unit = String(v, k) is "article" or "line" ? String(v, k) : throw Error(v, k, "must be 'article' or 'line'") },
                    "lang" => o with { Lang = String(v, k) },
                    "max_messages" => o with { MaxMessages = (int)Math.Min(int.MaxValue, Int(v, k, 1)) },
                    "dataset_name" => o with { DatasetName = Scalar(v, k) },
                    "dataset_config" => o with { DatasetConfig = Scalar(v, k) },
                    _ => throw Error(v, k, "unknown option"),
                };
            }
            return new SourceSettings(name, kind, path, o, new SourceLocation(file, (int)keyNode.Start.Line, (int)keyNode.Start.Column));
        }

        private double Fraction(YamlNode v, string k)
        {
            var f = Float(v, k);
            return f >= 0 && f < 1 ? f : throw Error(v, k, $"must be in [0, 1), got {f.ToString(CultureInfo.InvariantCulture)}");
        }

        private Mix BindMix(YamlNode node, string key, Dictionary<string, SourceSettings> sources, bool sft)
        {
            var entries = Mapping(node, key);
            var weights = new List<KeyValuePair<string, double>>();
            foreach (var (name, (k, v)) in entries)
            {
                var w = Float(v, $"{key}.{name}");
                weights.Add(new(name, w));
            }
            var mix = new Mix(weights);
            var problems = mix.Problems(n => SourceProblem(n, sources, sft));
            if (problems.Count > 0) throw Error(node, key, string.Join("; ", problems));
            return mix;
        }

        private Mix DefaultMix(string key, KeyValuePair<string, double>[] weights, Dictionary<string, SourceSettings> sources, bool sft, YamlNode at)
        {
            var mix = new Mix(weights);
            var problems = mix.Problems(n => SourceProblem(n, sources, sft));
            if (problems.Count > 0) throw Error(at, key, $"the default mix {mix} does not fit the declared sources: {string.Join("; ", problems)}; set {key}");
            return mix;
        }

        private static string? SourceProblem(string name, Dictionary<string, SourceSettings> sources, bool sft)
        {
            if (!sources.TryGetValue(name, out var s))
                return $"unknown source{Suggest(name, sources.Keys)} (declared: {string.Join(", ", sources.Keys.Order(StringComparer.Ordinal))})";
            if (s.Kind.IsSft() != sft)
                return $"kind {s.Kind.ToName()} gives {(s.Kind.IsSft() ? "conversations (an SFT source)" : "documents (a pretrain source)")}";
            return null;
        }
    }

    [GeneratedRegex("^[A-Za-z0-9_.-]+$")]
    private static partial Regex SourceName();
}
