namespace Dlm.Training.FromScratch;

/// <summary>What happened to a stage in one call.</summary>
public enum StageOutcome
{
    /// <summary>Its output was already complete (a step or time budget reached before); nothing was trained.</summary>
    Skipped,

    /// <summary>It trained until its step or time budget and is now complete.</summary>
    Completed,

    /// <summary>It was cancelled at a step boundary; <c>latest</c> holds its state and a rerun resumes it.</summary>
    Stopped,

    /// <summary>It did not run because an earlier stage stopped (the pipeline only).</summary>
    NotRun,
}
