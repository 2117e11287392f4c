using System.Globalization;
using Dlm.Core;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Dlm.Documents.Descent;

/// <summary>
/// A folder's <c>&lt;anchor&gt;/.dlm/training.yaml</c> (R2 "Directory descent"): settings for the
/// files below its anchor. <c>dlm_training_version</c> must be 1; <c>include</c> and
/// <c>exclude</c> globs are relative to the anchor; <c>exclude_defaults: false</c> turns the
/// default excludes off below it; <c>metadata</c> tags (string to string) and <c>weights</c>
/// (glob to a non-negative number) travel with every kept file below it.
/// </summary>
public sealed class TrainingYaml
{
    /// <summary>The only schema version there is.</summary>
    public const int CurrentVersion = 1;

    /// <summary>Include globs, anchor-relative; empty means "the directive's include decides".</summary>
    public IReadOnlyList<Glob> Include { get; private init; } = [];

    /// <summary>Exclude globs, anchor-relative.</summary>
    public IReadOnlyList<Glob> Exclude { get; private init; } = [];

    /// <summary>False turns the default excludes off for files below the anchor.</summary>
    public bool ExcludeDefaults { get; private init; } = true;

    /// <summary>Tags for every file below the anchor (deeper files override shallower ones key by key).</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; private init; } = new Dictionary<string, string>();

    /// <summary>Sampling weights by anchor-relative glob, in file order (the last match wins).</summary>
    public IReadOnlyList<(Glob Glob, double Weight)> Weights { get; private init; } = [];

    private static readonly HashSet<string> KnownKeys =
        ["dlm_training_version", "include", "exclude", "exclude_defaults", "metadata", "weights"];

    /// <summary>
    /// Reads and checks <paramref name="path"/>. Anything wrong (YAML syntax, an unknown key, a
    /// wrong type or version) throws a <see cref="DlmException"/> at <c>path:line:col</c>; the
    /// walk turns that into a warning and skips the file.
    /// </summary>
    public static TrainingYaml Load(string path)
    {
        string text;
        try
        {
            text = File.ReadAllText(path, new System.Text.UTF8Encoding(false, true));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.Text.DecoderFallbackException)
        {
            throw new DlmException($"{path}: cannot read: {e.Message}");
        }
        return Parse(text, path);
    }

    /// <summary>Parses the YAML <paramref name="text"/>; <paramref name="path"/> is used in messages.</summary>
    public static TrainingYaml Parse(string text, string path)
    {
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(text));
        }
        catch (YamlException e)
        {
            throw new DlmException(new SourceLocation(path, (int)e.Start.Line, (int)e.Start.Column), OneLine(e.Message));
        }
        if (stream.Documents.Count == 0 || stream.Documents[0].RootNode is YamlScalarNode { Value: null or "" })
            throw new DlmException(new SourceLocation(path, 1, 1), "empty training.yaml: dlm_training_version is required");
        if (stream.Documents[0].RootNode is not YamlMappingNode root)
            throw At(path, stream.Documents[0].RootNode, "training.yaml must be a mapping");

        int? version = null;
        var include = new List<Glob>();
        var exclude = new List<Glob>();
        bool excludeDefaults = true;
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        var weights = new List<(Glob, double)>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (keyNode, value) in root.Children)
        {
            var key = (keyNode as YamlScalarNode)?.Value ?? throw At(path, keyNode, "keys must be plain strings");
            if (!seen.Add(key)) throw At(path, keyNode, $"duplicate key '{key}'");
            if (!KnownKeys.Contains(key))
                throw At(path, keyNode, $"unknown key '{key}' (known: {string.Join(", ", KnownKeys.Order(StringComparer.Ordinal))})");
            switch (key)
            {
                case "dlm_training_version":
                    if (Scalar(path, value, key) is not { } v || !int.TryParse(v, NumberStyles.None, CultureInfo.InvariantCulture, out var n))
                        throw At(path, value, "dlm_training_version must be an integer");
                    version = n;
                    break;
                case "include":
                    include.AddRange(StringList(path, value, key).Select(Glob.Compile));
                    break;
                case "exclude":
                    exclude.AddRange(StringList(path, value, key).Select(Glob.Compile));
                    break;
                case "exclude_defaults":
                    excludeDefaults = Scalar(path, value, key) switch
                    {
                        "true" or "True" or "TRUE" => true,
                        "false" or "False" or "FALSE" => false,
                        _ => throw At(path, value, "exclude_defaults must be true or false"),
                    };
                    break;
                case "metadata":
                    foreach (var (k, item) in Mapping(path, value, key))
                        metadata[k] = Scalar(path, item, $"metadata.{k}") ?? throw At(path, item, $"metadata.{k} must be a string");
                    break;
                case "weights":
                    foreach (var (k, item) in Mapping(path, value, key))
                    {
                        if (Scalar(path, item, $"weights.{k}") is not { } w
                            || !double.TryParse(w, NumberStyles.Float, CultureInfo.InvariantCulture, out var d)
                            || !double.IsFinite(d) || d < 0)
                            throw At(path, item, $"weights.{k} must be a non-negative number");
                        weights.Add((Glob.Compile(k), d));
                    }
                    break;
            }
        }
        if (version is null) throw new DlmException(new SourceLocation(path, 1, 1), "dlm_training_version is required");
        if (version != CurrentVersion)
            throw new DlmException(new SourceLocation(path, 1, 1), $"dlm_training_version {version} is not supported (this dlm reads {CurrentVersion})");
        return new TrainingYaml
        {
            Include = include,
            Exclude = exclude,
            ExcludeDefaults = excludeDefaults,
            Metadata = metadata,
            Weights = weights,
        };
    }

    private static string? Scalar(string path, YamlNode node, string key) =>
        node is YamlScalarNode s ? s.Value : throw At(path, node, $"{key} must be a scalar");

    private static List<string> StringList(string path, YamlNode node, string key)
    {
        if (node is YamlScalarNode { Value: null or "" or "~" or "null" }) return [];
        if (node is not YamlSequenceNode seq) throw At(path, node, $"{key} must be a list of strings");
        var list = new List<string>();
        foreach (var item in seq.Children)
            list.Add(item is YamlScalarNode { Value: { } v } ? v : throw At(path, item, $"{key} must be a list of strings"));
        return list;
    }

    private static List<(string, YamlNode)> Mapping(string path, YamlNode node, string key)
    {
        if (node is YamlScalarNode { Value: null or "" or "~" or "null" }) return [];
        if (node is not YamlMappingNode map) throw At(path, node, $"{key} must be a mapping");
        var list = new List<(string, YamlNode)>();
        foreach (var (k, v) in map.Children)
            list.Add(((k as YamlScalarNode)?.Value ?? throw At(path, k, $"{key} keys must be strings"), v));
        return list;
    }

    private static DlmException At(string path, YamlNode node, string message) =>
        new(new SourceLocation(path, (int)node.Start.Line, (int)node.Start.Column), message);

    private static string OneLine(string s) => s.ReplaceLineEndings(" ").Trim();
}
