namespace Dlm.Training.FromScratch;

/// <summary>What <see cref="ScratchPipeline.RunAsync"/> did, per stage.</summary>
/// <param name="Settings">The settings it ran with (budgets and run folder applied).</param>
/// <param name="Pretrain">The pretrain stage.</param>
/// <param name="Sft">The SFT stage (<see cref="StageOutcome.NotRun"/> when pretraining stopped or <see cref="ScratchPipelineOptions.PretrainOnly"/> was set).</param>
public sealed record ScratchPipelineResult(ScratchSettings Settings, StageResult Pretrain, StageResult Sft)
{
    /// <summary>True when both stages are complete (completed now or skipped as complete before).</summary>
    public bool Complete => Pretrain.Outcome is StageOutcome.Completed or StageOutcome.Skipped && Sft.Outcome is StageOutcome.Completed or StageOutcome.Skipped;

    /// <summary>True when a stage was cancelled (a rerun resumes it).</summary>
    public bool Stopped => Pretrain.Outcome == StageOutcome.Stopped || Sft.Outcome == StageOutcome.Stopped;

    /// <summary>The model to talk to: SFT's best checkpoint when it exists, else pretraining's.</summary>
    public string? FinalModelPath => Sft.BestModelPath ?? Pretrain.BestModelPath;
}
