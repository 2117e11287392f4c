namespace Dlm.Training.Supervised;

/// <summary>The learning-rate multiplier at step s of S (tinker-cookbook <c>compute_schedule_lr_multiplier</c>).</summary>
public static class LearningRateSchedule
{
    /// <summary>linear <c>1 - s/S</c> (the last step gets 1/S, never 0), cosine <c>0.5(1 + cos(pi s/S))</c>, constant 1.</summary>
    public static double Multiplier(LrSchedule schedule, int step, int totalSteps) => schedule switch
    {
        LrSchedule.Linear => 1.0 - step / (double)totalSteps,
        LrSchedule.Cosine => 0.5 * (1 + Math.Cos(Math.PI * step / totalSteps)),
        _ => 1.0,
    };
}
