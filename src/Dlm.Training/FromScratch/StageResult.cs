namespace Dlm.Training.FromScratch;

/// <summary>What one stage did (<see cref="ScratchStage.RunAsync"/>, and per stage of <see cref="ScratchPipeline.RunAsync"/>).</summary>
public sealed record StageResult
{
    /// <summary>Which stage.</summary>
    public required StageKind Stage { get; init; }

    /// <summary>Skipped (already complete), completed, stopped (cancelled; rerun to resume) or not run.</summary>
    public required StageOutcome Outcome { get; init; }

    /// <summary>The stage folder.</summary>
    public required string Dir { get; init; }

    /// <summary>Steps done in all (over resumes).</summary>
    public int Steps { get; init; }

    /// <summary>The step budget.</summary>
    public int MaxSteps { get; init; }

    /// <summary>Steps this call trained.</summary>
    public int StepsRun { get; init; }

    /// <summary>The step this call resumed from (0 for a fresh start).</summary>
    public int ResumedFromStep { get; init; }

    /// <summary>Tokens trained on in all.</summary>
    public long Tokens { get; init; }

    /// <summary>Training time in all (over resumes).</summary>
    public TimeSpan Elapsed { get; init; }

    /// <summary>Which budget completed the stage: <c>max_steps</c> or <c>max_minutes</c> (null unless complete).</summary>
    public string? Reason { get; init; }

    /// <summary>The validation loss before the first step (the untrained model for pretraining, the pretrained one for SFT).</summary>
    public double? InitialValLoss { get; init; }

    /// <summary>The validation loss at the last evaluated step.</summary>
    public double? FinalValLoss { get; init; }

    /// <summary>The lowest validation loss.</summary>
    public double? BestValLoss { get; init; }

    /// <summary>The step of <see cref="BestValLoss"/>.</summary>
    public int? BestStep { get; init; }

    /// <summary>The <c>best</c> checkpoint, a Hugging Face folder (null when none was written).</summary>
    public string? BestModelPath { get; init; }

    /// <summary>The <c>latest</c> checkpoint, a Hugging Face folder (null when none was written).</summary>
    public string? LatestModelPath { get; init; }

    /// <summary><c>metrics.jsonl</c> of the stage.</summary>
    public required string MetricsPath { get; init; }

    /// <summary><c>loss.png</c> of the stage (null when it was not drawn).</summary>
    public string? LossPlotPath { get; init; }

    /// <summary>Model parameters.</summary>
    public long Parameters { get; init; }
}
