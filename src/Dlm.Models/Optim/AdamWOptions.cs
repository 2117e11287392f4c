namespace Dlm.Models.Optim;

/// <summary>Hyper-parameters of <see cref="AdamW"/>; the defaults are PyTorch's <c>torch.optim.AdamW</c> defaults.</summary>
/// <param name="Beta1">Decay of the first moment (mean of gradients).</param>
/// <param name="Beta2">Decay of the second moment (mean of squared gradients).</param>
/// <param name="Eps">Added to the bias-corrected root of the second moment, as PyTorch does (outside the square root).</param>
/// <param name="WeightDecay">Decoupled weight decay, applied as <c>p -= lr * wd * p</c> on ranges with <see cref="ParamRange.Decay"/>.</param>
public sealed record AdamWOptions(float Beta1 = 0.9f, float Beta2 = 0.999f, float Eps = 1e-8f, float WeightDecay = 0.01f)
{
    /// <summary>The niels-gpt pretraining settings: betas (0.9, 0.95), weight decay 0.1.</summary>
    public static AdamWOptions NielsGptPretrain { get; } = new(0.9f, 0.95f, 1e-8f, 0.1f);

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> when a value is outside its valid range.</summary>
    public void Validate()
    {
        if (!(Beta1 >= 0f && Beta1 < 1f)) throw new ArgumentOutOfRangeException(nameof(Beta1), Beta1, "beta1 must be in [0, 1)");
        if (!(Beta2 >= 0f && Beta2 < 1f)) throw new ArgumentOutOfRangeException(nameof(Beta2), Beta2, "beta2 must be in [0, 1)");
        if (!(Eps >= 0f) || float.IsInfinity(Eps)) throw new ArgumentOutOfRangeException(nameof(Eps), Eps, "eps must be finite and >= 0");
        if (!(WeightDecay >= 0f) || float.IsInfinity(WeightDecay)) throw new ArgumentOutOfRangeException(nameof(WeightDecay), WeightDecay, "weight decay must be finite and >= 0");
    }
}
