namespace Dlm.Training.FromScratch;

/// <summary>What a <see cref="ScratchProgress"/> report is about.</summary>
public enum ScratchProgressKind
{
    /// <summary>A line of news (resumed, skipped, saved, finished): <see cref="ScratchProgress.Message"/>.</summary>
    Message,

    /// <summary>A training step finished (every step).</summary>
    Step,

    /// <summary>A validation loss was computed (<see cref="ScratchProgress.ValLoss"/>).</summary>
    Eval,
}

/// <summary>
/// One progress report of a from-scratch stage: the live line's facts (step, loss, tokens/s, ETA, last
/// validation loss) or a message.
/// </summary>
/// <param name="Stage">The stage reporting.</param>
/// <param name="Kind">What happened.</param>
/// <param name="Step">Optimizer steps done.</param>
/// <param name="TotalSteps">The stage's step budget (<c>max_steps</c>).</param>
/// <param name="Loss">The last step's training loss (nats per trained token), when a step has run.</param>
/// <param name="TokensPerSecond">Training throughput over the recent steps (0 before the first).</param>
/// <param name="Eta">Time left until the step or time budget, whichever comes first, when known.</param>
/// <param name="ValLoss">The latest validation loss, when one was computed.</param>
/// <param name="Elapsed">Training time of the stage so far (over resumes).</param>
/// <param name="Message">The text of a <see cref="ScratchProgressKind.Message"/>.</param>
public sealed record ScratchProgress(
    StageKind Stage, ScratchProgressKind Kind, int Step, int TotalSteps, double? Loss, double TokensPerSecond, TimeSpan? Eta,
    double? ValLoss, TimeSpan Elapsed, string? Message = null);
