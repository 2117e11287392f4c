namespace Dlm.Documents.Training;

/// <summary>One optimizer step as it is reported to the caller (a progress bar, log lines).</summary>
/// <param name="Step">1-based step just taken.</param>
/// <param name="TotalSteps">Steps of the run.</param>
/// <param name="Epoch">1-based epoch.</param>
/// <param name="Loss">Mean loss per trained token of the step's batch.</param>
/// <param name="LearningRate">The step's learning rate.</param>
/// <param name="ValidationLoss">At an epoch's last step, the validation loss (mean per answer/text token); else null.</param>
public sealed record TrainStepReport(int Step, int TotalSteps, int Epoch, double Loss, double LearningRate, double? ValidationLoss);

/// <summary>How <see cref="DocumentTrainer.Run"/> ended.</summary>
public enum TrainOutcomeKind
{
    /// <summary>A new adapter version is current.</summary>
    Trained,

    /// <summary>Nothing to do: the content is what the current version was trained on.</summary>
    Unchanged,

    /// <summary><c>--dry-run</c>: reported, nothing written.</summary>
    DryRun,
}

/// <summary>What a training call did.</summary>
/// <param name="Kind">Trained, unchanged or dry run.</param>
/// <param name="Version">The version made (or the current one when unchanged; 0 for a dry run).</param>
/// <param name="AdapterDir">The new version's folder, or null.</param>
/// <param name="LogPath">The run's JSONL log, or null.</param>
/// <param name="Steps">Optimizer steps of the run (planned, for a dry run).</param>
/// <param name="Seed">The seed used.</param>
/// <param name="FinalTrainLoss">The last step's loss, or null.</param>
/// <param name="FinalValidationLoss">The last validation loss, or null when there are no validation rows.</param>
public sealed record TrainOutcome(
    TrainOutcomeKind Kind, int Version, string? AdapterDir, string? LogPath, int Steps, long Seed, double? FinalTrainLoss, double? FinalValidationLoss);
