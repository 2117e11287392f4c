namespace Dlm.Models.Optim;

/// <summary>A learning rate as a pure function of the step, so a resumed run needs no schedule state.</summary>
public interface ILearningRateSchedule
{
    /// <summary>The learning rate for the 0-based optimizer step <paramref name="step"/>.</summary>
    /// <param name="step">0 for the first update.</param>
    /// <returns>The learning rate to pass to AdamW.Step for this update.</returns>
#pragma warning disable CA1716 // 'step' is the name the engine contract uses; no VB consumers.
    float At(int step);
#pragma warning restore CA1716
}
