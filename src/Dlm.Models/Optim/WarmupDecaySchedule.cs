namespace Dlm.Models.Optim;

/// <summary>
/// Optional linear warmup, then a constant, linear or cosine decay to a minimum learning rate.
/// With peak <c>lr</c>, minimum <c>min</c>, warmup <c>W</c> steps from factor <c>f0</c>, and
/// <c>S</c> total steps, at the 0-based step <c>s</c>:
/// <code>
/// s &lt; W :  lr * (f0 + (1 - f0) * s / W)                      (torch LinearLR; f0 = 0 starts at 0)
/// s &gt;= W:  p = clamp((s - W) / (S - W), 0, 1)
///          constant: lr
///          linear:   min + (lr - min) * (1 - p)
///          cosine:   min + (lr - min) * 0.5 * (1 + cos(pi * p))
/// </code>
/// Computed in double. This one formula covers the references: with <c>W = 0, min = 0</c> it is the
/// tinker-cookbook schedule (<c>lr*(1-s/S)</c>, <c>lr*0.5*(1+cos(pi*s/S))</c>); with <c>f0 = 0</c>
/// and a minimum it is the niels-gpt pretraining schedule (warmup <c>lr*s/W</c>, then cosine from
/// <c>lr</c> to <c>min_lr</c> over the remaining <c>S - W</c> steps); with <c>f0 = 0</c> and
/// <c>min = 0</c> it is Hugging Face's <c>get_{linear,cosine,constant}_schedule_with_warmup</c>.
/// Past the last step the decay holds at its end value (niels-gpt would clamp there too).
/// </summary>
public sealed class WarmupDecaySchedule : ILearningRateSchedule
{
    /// <summary>Creates a schedule; see the class remarks for the formula.</summary>
    /// <param name="shape">Constant, linear or cosine decay after warmup.</param>
    /// <param name="peakLearningRate">The learning rate at the end of warmup (the configured lr).</param>
    /// <param name="totalSteps">Total optimizer steps S of the run (at least 1).</param>
    /// <param name="warmupSteps">Warmup steps W (0 for none; at most <paramref name="totalSteps"/>).</param>
    /// <param name="minLearningRate">The floor the decay ends at (0 for none; at most the peak).</param>
    /// <param name="warmupStartFactor">The fraction of the peak at step 0 of warmup, in [0, 1].</param>
    public WarmupDecaySchedule(DecayShape shape, float peakLearningRate, int totalSteps,
        int warmupSteps = 0, float minLearningRate = 0f, float warmupStartFactor = 0f)
    {
        if (!Enum.IsDefined(shape)) throw new ArgumentOutOfRangeException(nameof(shape), shape, "unknown decay shape");
        if (!(peakLearningRate >= 0f) || float.IsInfinity(peakLearningRate))
            throw new ArgumentOutOfRangeException(nameof(peakLearningRate), peakLearningRate, "learning rate must be finite and >= 0");
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(totalSteps);
        ArgumentOutOfRangeException.ThrowIfNegative(warmupSteps);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(warmupSteps, totalSteps);
        if (!(minLearningRate >= 0f && minLearningRate <= peakLearningRate))
            throw new ArgumentOutOfRangeException(nameof(minLearningRate), minLearningRate, "min learning rate must be in [0, peak]");
        if (!(warmupStartFactor >= 0f && warmupStartFactor <= 1f))
            throw new ArgumentOutOfRangeException(nameof(warmupStartFactor), warmupStartFactor, "warmup start factor must be in [0, 1]");
        Shape = shape;
        PeakLearningRate = peakLearningRate;
        TotalSteps = totalSteps;
        WarmupSteps = warmupSteps;
        MinLearningRate = minLearningRate;
        WarmupStartFactor = warmupStartFactor;
        _peak = DecimalWidening.Widen(peakLearningRate);
        _min = DecimalWidening.Widen(minLearningRate);
        _startFactor = DecimalWidening.Widen(warmupStartFactor);
    }

    private readonly double _peak;
    private readonly double _min;
    private readonly double _startFactor;

    /// <summary>The decay after warmup.</summary>
    public DecayShape Shape { get; }

    /// <summary>The learning rate at the end of warmup.</summary>
    public float PeakLearningRate { get; }

    /// <summary>Total optimizer steps of the run.</summary>
    public int TotalSteps { get; }

    /// <summary>Number of warmup steps.</summary>
    public int WarmupSteps { get; }

    /// <summary>The learning rate the decay ends at.</summary>
    public float MinLearningRate { get; }

    /// <summary>The fraction of the peak used at step 0 of warmup.</summary>
    public float WarmupStartFactor { get; }

    /// <inheritdoc />
    public float At(int step) => (float)AtDouble(step);

    /// <summary>The learning rate at <paramref name="step"/> before rounding to float.</summary>
    /// <param name="step">The 0-based optimizer step.</param>
    /// <returns>The learning rate in double precision.</returns>
    public double AtDouble(int step)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(step);
        if (step < WarmupSteps)
            return _peak * (_startFactor + (1.0 - _startFactor) * step / WarmupSteps);
        if (Shape == DecayShape.Constant) return _peak;
        var span = TotalSteps - WarmupSteps;
        var progress = span <= 0 ? 1.0 : Math.Clamp((double)(step - WarmupSteps) / span, 0.0, 1.0);
        var factor = Shape == DecayShape.Linear ? 1.0 - progress : 0.5 * (1.0 + Math.Cos(Math.PI * progress));
        return _min + (_peak - _min) * factor;
    }
}
