using System.Text.Json;
using System.Text.Json.Serialization;
using Dlm.Core;

namespace Dlm.Training.FromScratch;

/// <summary>
/// <c>trainer_state.json</c> in a checkpoint folder: what besides the weights and AdamW moments
/// (those are in <c>state.safetensors</c>, with the step and the dropout generator) a run needs to
/// continue exactly: the batch sampler's generator, the training time spent so far and the best
/// validation loss. <see cref="Fingerprint"/> names the settings the run was started with, so a resume
/// with other settings is refused instead of silently mixing two runs.
/// </summary>
public sealed record TrainerState
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    /// <summary>The file name.</summary>
    public const string FileName = "trainer_state.json";

    /// <summary>Optimizer steps done.</summary>
    [JsonPropertyName("step")] public int Step { get; init; }

    /// <summary>The batch sampler's generator state.</summary>
    [JsonPropertyName("sampler_rng_state")] public ulong SamplerRngState { get; init; }

    /// <summary>Seconds of training spent so far (over every resume).</summary>
    [JsonPropertyName("elapsed_seconds")] public double ElapsedSeconds { get; init; }

    /// <summary>Tokens trained on so far.</summary>
    [JsonPropertyName("tokens")] public long Tokens { get; init; }

    /// <summary>The best validation loss so far (null before the first validation).</summary>
    [JsonPropertyName("best_val_loss")] public double? BestValLoss { get; init; }

    /// <summary>The step of <see cref="BestValLoss"/>.</summary>
    [JsonPropertyName("best_step")] public int? BestStep { get; init; }

    /// <summary>The validation loss before the first step (the untrained model, or the SFT start).</summary>
    [JsonPropertyName("initial_val_loss")] public double? InitialValLoss { get; init; }

    /// <summary>The last validation loss.</summary>
    [JsonPropertyName("last_val_loss")] public double? LastValLoss { get; init; }

    /// <summary>The settings that shape the run (batch, context, schedule, seed, model).</summary>
    [JsonPropertyName("fingerprint")] public string Fingerprint { get; init; } = "";

    /// <summary>Reads <c>dir/trainer_state.json</c>.</summary>
    public static TrainerState Read(string dir)
    {
        var path = Path.Combine(dir, FileName);
        try
        {
            return JsonSerializer.Deserialize<TrainerState>(File.ReadAllText(path)) ?? throw new DlmException($"{path}: empty trainer state");
        }
        catch (Exception e) when (e is JsonException or IOException)
        {
            throw new DlmException($"{path}: unreadable trainer state ({e.Message})");
        }
    }

    /// <summary>Writes <c>dir/trainer_state.json</c> atomically.</summary>
    public void Write(string dir) =>
        AtomicFile.WriteAllText(Path.Combine(dir, FileName), JsonSerializer.Serialize(this, Indented) + "\n");
}
