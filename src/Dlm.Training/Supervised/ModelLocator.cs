using Dlm.Core;
using Dlm.Training.Client;

namespace Dlm.Training.Supervised;

/// <summary>
/// Turns a <c>model_name</c> into something the local client loads: a folder as it is, a preset as
/// it is, or a hub id (<c>meta-llama/Llama-3.2-1B</c>) found in the local Hugging Face cache
/// (<c>$HF_HUB_CACHE</c>, <c>$HF_HOME/hub</c> or <c>~/.cache/huggingface/hub</c>). Nothing is downloaded.
/// </summary>
public static class ModelLocator
{
    /// <summary>The folder (or preset) for <paramref name="modelName"/>, or a user error saying what to pass.</summary>
    public static string Resolve(string modelName)
    {
        ArgumentNullException.ThrowIfNull(modelName);
        if (ModelPresets.IsPreset(modelName) || Directory.Exists(modelName)) return modelName;
        var parts = modelName.Split('/');
        if (parts.Length == 2 && parts.All(p => p.Length > 0) && !modelName.StartsWith('.') && CachedSnapshot(parts[0], parts[1]) is { } snapshot)
            return snapshot;
        throw new DlmException(
            $"model_name: {modelName} is not a folder and not in the local Hugging Face cache ({HubCache()}); " +
            "pass model_name=DIR (a Hugging Face model folder with config.json, model.safetensors and tokenizer.json), " +
            $"or model_name=preset:NAME ({string.Join(", ", ModelPresets.Names)}) with dataset_builder.common_config.model_name_for_tokenizer=DIR");
    }

    private static string HubCache() =>
        Environment.GetEnvironmentVariable("HF_HUB_CACHE")
        ?? (Environment.GetEnvironmentVariable("HF_HOME") is { } home ? Path.Combine(home, "hub") : null)
        ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "huggingface", "hub");

    private static string? CachedSnapshot(string org, string name)
    {
        var snapshots = Path.Combine(HubCache(), $"models--{org}--{name}", "snapshots");
        if (!Directory.Exists(snapshots)) return null;
        return Directory.GetDirectories(snapshots).Order(StringComparer.Ordinal)
            .LastOrDefault(d => File.Exists(Path.Combine(d, "config.json")) && File.Exists(Path.Combine(d, "tokenizer.json")));
    }
}
