using System.Text.Json;
using System.Text.Json.Serialization;
using Dlm.Core;

namespace Dlm.Training.FromScratch;

/// <summary>
/// <c>stage.json</c> in a stage folder, written last and atomically when the stage reaches its step or
/// time budget: its presence is what makes a stage complete (and skipped by a rerun).
/// </summary>
public sealed record StageStatus
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    /// <summary>The file name.</summary>
    public const string FileName = "stage.json";

    /// <summary><c>pretrain</c> or <c>sft</c>.</summary>
    [JsonPropertyName("stage")] public string Stage { get; init; } = "";

    /// <summary><c>max_steps</c> or <c>max_minutes</c>: which budget ended it.</summary>
    [JsonPropertyName("reason")] public string Reason { get; init; } = "";

    /// <summary>Steps trained.</summary>
    [JsonPropertyName("steps")] public int Steps { get; init; }

    /// <summary>Tokens trained on.</summary>
    [JsonPropertyName("tokens")] public long Tokens { get; init; }

    /// <summary>Seconds of training.</summary>
    [JsonPropertyName("elapsed_seconds")] public double ElapsedSeconds { get; init; }

    /// <summary>The validation loss before the first step.</summary>
    [JsonPropertyName("initial_val_loss")] public double? InitialValLoss { get; init; }

    /// <summary>The validation loss at the last step.</summary>
    [JsonPropertyName("final_val_loss")] public double? FinalValLoss { get; init; }

    /// <summary>The best validation loss.</summary>
    [JsonPropertyName("best_val_loss")] public double? BestValLoss { get; init; }

    /// <summary>The step of the best validation loss.</summary>
    [JsonPropertyName("best_step")] public int? BestStep { get; init; }

    /// <summary>The best checkpoint (a Hugging Face folder).</summary>
    [JsonPropertyName("best_model")] public string BestModel { get; init; } = "";

    /// <summary>The last checkpoint (a Hugging Face folder).</summary>
    [JsonPropertyName("latest_model")] public string LatestModel { get; init; } = "";

    /// <summary>The stage's state of <paramref name="stageDir"/>, or null when it is not complete.</summary>
    public static StageStatus? Read(string stageDir)
    {
        var path = Path.Combine(stageDir, FileName);
        if (!File.Exists(path)) return null;
        try
        {
            return JsonSerializer.Deserialize<StageStatus>(File.ReadAllText(path));
        }
        catch (JsonException e)
        {
            throw new DlmException($"{path}: unreadable stage status ({e.Message}); delete it to train the stage again");
        }
    }

    /// <summary>Writes <c>stageDir/stage.json</c> atomically.</summary>
    public void Write(string stageDir) =>
        AtomicFile.WriteAllText(Path.Combine(stageDir, FileName), JsonSerializer.Serialize(this, Indented) + "\n");
}
