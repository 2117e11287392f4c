using Dlm.Core;

namespace Dlm.Models.Optim;

/// <summary>Builds learning-rate schedules from names and from the reference recipes.</summary>
public static class LearningRateSchedules
{
    /// <summary>The schedule names users may write (<c>lr_scheduler</c>, <c>lr_schedule</c>).</summary>
    public static IReadOnlyList<string> Names { get; } = ["constant", "linear", "cosine"];

    /// <summary>Parses a schedule name, case-insensitively.</summary>
    /// <param name="name">One of <see cref="Names"/>.</param>
    /// <returns>The decay shape.</returns>
    /// <exception cref="DlmException">The name is not a known schedule; the message lists the valid ones.</exception>
    public static DecayShape ParseShape(string name)
    {
        switch (name?.Trim().ToLowerInvariant())
        {
            case "constant": return DecayShape.Constant;
            case "linear": return DecayShape.Linear;
            case "cosine": return DecayShape.Cosine;
            default:
                throw new DlmException($"unknown learning-rate schedule '{name}' (valid: {string.Join(", ", Names)})");
        }
    }

    /// <summary>A schedule by name, with optional warmup and minimum learning rate.</summary>
    /// <param name="name"><c>constant</c>, <c>linear</c> or <c>cosine</c>.</param>
    /// <param name="learningRate">The peak learning rate.</param>
    /// <param name="totalSteps">Total optimizer steps of the run.</param>
    /// <param name="warmupSteps">Linear warmup steps (0 for none).</param>
    /// <param name="minLearningRate">The floor the decay ends at.</param>
    /// <param name="warmupStartFactor">The fraction of the peak at the first warmup step.</param>
    /// <returns>The schedule.</returns>
    /// <exception cref="DlmException">The name is not a known schedule.</exception>
    public static WarmupDecaySchedule Create(string name, float learningRate, int totalSteps,
        int warmupSteps = 0, float minLearningRate = 0f, float warmupStartFactor = 0f)
        => new(ParseShape(name), learningRate, totalSteps, warmupSteps, minLearningRate, warmupStartFactor);

    /// <summary>
    /// Warmup steps from a ratio of the run, as Hugging Face's trainer computes them
    /// (<c>ceil(ratio * total)</c>; the .dlm <c>warmup_ratio</c> of 0.1 uses this).
    /// </summary>
    /// <param name="warmupRatio">Fraction of the run spent warming up, in [0, 1].</param>
    /// <param name="totalSteps">Total optimizer steps.</param>
    /// <returns>The number of warmup steps.</returns>
    public static int WarmupStepsFromRatio(double warmupRatio, int totalSteps)
    {
        if (!(warmupRatio >= 0 && warmupRatio <= 1))
            throw new ArgumentOutOfRangeException(nameof(warmupRatio), warmupRatio, "warmup ratio must be in [0, 1]");
        ArgumentOutOfRangeException.ThrowIfNegative(totalSteps);
        return (int)Math.Ceiling(warmupRatio * totalSteps);
    }

    /// <summary>
    /// niels-gpt pretraining (REFERENCE.md R1): <c>lr*s/W</c> during warmup, then cosine from
    /// <c>lr</c> to <c>min_lr</c> over the remaining steps (defaults 3e-4 and 3e-5).
    /// </summary>
    /// <param name="totalSteps">Total optimizer steps.</param>
    /// <param name="warmupSteps">Warmup steps.</param>
    /// <param name="learningRate">Peak learning rate.</param>
    /// <param name="minLearningRate">Final learning rate.</param>
    /// <returns>The schedule.</returns>
    public static WarmupDecaySchedule NielsGpt(int totalSteps, int warmupSteps,
        float learningRate = 3e-4f, float minLearningRate = 3e-5f)
        => new(DecayShape.Cosine, learningRate, totalSteps, warmupSteps, minLearningRate);

    /// <summary>
    /// tinker-cookbook supervised training (REFERENCE.md R3): no warmup, no floor;
    /// linear <c>lr*(1-s/S)</c>, cosine <c>lr*0.5*(1+cos(pi*s/S))</c>, or constant.
    /// </summary>
    /// <param name="name"><c>linear</c>, <c>cosine</c> or <c>constant</c>.</param>
    /// <param name="learningRate">The configured learning rate.</param>
    /// <param name="totalSteps">Total optimizer steps (batches times epochs).</param>
    /// <returns>The schedule.</returns>
    /// <exception cref="DlmException">The name is not a known schedule.</exception>
    public static WarmupDecaySchedule Tinker(string name, float learningRate, int totalSteps)
        => Create(name, learningRate, totalSteps);
}
