using System.Text.Json.Nodes;
using Dlm.Documents.Store;

namespace Dlm.Documents.Training;

/// <summary>
/// The checkpoint of the run in progress, <c>store/&lt;id&gt;/checkpoint/</c>: the training state
/// (<c>state/state.safetensors</c>: LoRA weights, AdamW moments, step, dropout RNG; written
/// atomically) and <c>progress.json</c> (what the run was training: its rows' fingerprint, seed,
/// total steps). A run killed at any point leaves either no checkpoint or one that loads; a
/// completed run removes it. <c>dlm train --resume</c> continues from it.
/// </summary>
/// <param name="Dir">The checkpoint folder.</param>
public sealed record RunCheckpoint(string Dir)
{
    /// <summary>The checkpoint folder of <paramref name="store"/>.</summary>
    public static RunCheckpoint Of(DocumentStore store) => new(Path.Combine(store.Root, "checkpoint"));

    /// <summary>The state file the training client writes (checkpoint name <c>state</c>).</summary>
    public string StatePath => Path.Combine(Dir, "state", "state.safetensors");

    /// <summary><c>progress.json</c>.</summary>
    public string ProgressPath => Path.Combine(Dir, "progress.json");

    /// <summary>The progress record, or null when there is no complete checkpoint.</summary>
    public JsonObject? ReadProgress()
    {
        if (!File.Exists(ProgressPath) || !File.Exists(StatePath)) return null;
        try
        {
            return StoreJson.ReadObject(ProgressPath);
        }
        catch (Dlm.Core.DlmException)
        {
            return null;
        }
    }

    /// <summary>Writes <c>progress.json</c> atomically (after the state it describes).</summary>
    public void WriteProgress(JsonObject progress) => StoreJson.WriteAtomic(ProgressPath, progress);

    /// <summary>Removes the checkpoint.</summary>
    public void Delete()
    {
        if (Directory.Exists(Dir)) Directory.Delete(Dir, recursive: true);
    }
}
