namespace Dlm.Chat;

/// <summary>A rendered conversation and the loss weight of each of its tokens.</summary>
/// <param name="ModelInput">The tokens, chunk by chunk.</param>
/// <param name="WeightsArray">One weight (0 or 1) per token.</param>
public sealed record SupervisedExample(ModelInput ModelInput, float[] WeightsArray)
{
    /// <summary>The per-token weights.</summary>
    public ReadOnlySpan<float> Weights => WeightsArray;
}
