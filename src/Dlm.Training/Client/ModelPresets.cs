using Dlm.Core;
using Dlm.Models.Config;

namespace Dlm.Training.Client;

/// <summary>
/// From-scratch model shapes, named <c>preset:NAME</c> where a model folder would go. The
/// vocabulary size comes from the tokenizer the run uses; the weights start from the niels-gpt
/// initialisation (N(0, 0.02), norms 1, biases 0).
/// </summary>
public static class ModelPresets
{
    /// <summary>The prefix that marks a preset in a model name.</summary>
    public const string Prefix = "preset:";

    private static readonly Dictionary<string, Func<int, ModelConfig>> Table = new(StringComparer.Ordinal)
    {
        ["niels-default"] = v => ModelConfig.NielsDefault(1024) with { VocabSize = v },
        ["niels-small"] = v => ModelConfig.NielsDefault(512) with { VocabSize = v, DModel = 192, Layers = 4, Heads = 4, KvHeads = 4, DFf = 576 },
        ["niels-tiny"] = v => ModelConfig.NielsDefault(256) with { VocabSize = v, DModel = 64, Layers = 2, Heads = 2, KvHeads = 2, DFf = 192 },
        ["llama-tiny"] = v => new ModelConfig
        {
            Family = ModelFamily.Llama, ModelType = "llama", VocabSize = v, ContextLength = 256, DModel = 64, Layers = 2,
            Heads = 4, KvHeads = 2, DFf = 160, NormEps = 1e-5f, RopeTheta = 10000.0,
        },
    };

    /// <summary>Preset names, sorted.</summary>
    public static IReadOnlyList<string> Names { get; } = Table.Keys.Order(StringComparer.Ordinal).ToArray();

    /// <summary>True when <paramref name="modelName"/> starts with <c>preset:</c>.</summary>
    public static bool IsPreset(string modelName) => modelName.StartsWith(Prefix, StringComparison.Ordinal);

    /// <summary>The config of preset <paramref name="name"/> (with or without the prefix) for a vocabulary of <paramref name="vocabSize"/>.</summary>
    public static ModelConfig Create(string name, int vocabSize)
    {
        ArgumentNullException.ThrowIfNull(name);
        var key = IsPreset(name) ? name[Prefix.Length..] : name;
        return Table.TryGetValue(key, out var make)
            ? make(vocabSize).Validate()
            : throw new DlmException($"unknown model preset '{key}': expected one of {string.Join(", ", Names)}");
    }
}
