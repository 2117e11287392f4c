namespace Dlm.Models.Optim;

/// <summary>
/// How micro-batch losses are scaled so that accumulating gradients over N micro-batches gives
/// the gradient of one batch N times the size. Gradients are summed into the arena
/// (<c>grad += ...</c>, zeroed once per optimizer step); the scale multiplies each micro-batch's
/// loss, and so the gradient seeded into its backward pass. Clipping and the AdamW step run once,
/// after the last micro-batch, on the accumulated sum.
/// <list type="bullet">
/// <item>Mean-reduced loss over equal micro-batches (niels-gpt pretraining, nanoGPT):
/// scale each by <see cref="MeanLossScale"/> = 1/N.</item>
/// <item>Weighted sum over tokens (Tinker <c>cross_entropy</c>: <c>-sum(w*logp)</c>), where
/// micro-batches carry different weight totals: scale each sum by
/// <see cref="WeightedSumLossScale"/> = 1/(total weight of all N micro-batches), which gives the
/// weighted mean over the whole batch. Scaling per-micro-batch means by 1/N instead would give
/// a different (unequally weighted) gradient.</item>
/// </list>
/// </summary>
public static class GradientAccumulation
{
    /// <summary>The factor for each micro-batch's mean loss when N equal micro-batches make one batch.</summary>
    /// <param name="microBatches">N, at least 1.</param>
    /// <returns>1/N.</returns>
    public static float MeanLossScale(int microBatches)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(microBatches);
        return 1f / microBatches;
    }

    /// <summary>
    /// The factor for each micro-batch's weighted loss sum so that the accumulated gradient is that of
    /// the weighted mean over the whole batch.
    /// </summary>
    /// <param name="totalWeight">Sum of the token weights over all micro-batches of the step.</param>
    /// <returns>1/totalWeight, or 0 when nothing is weighted (the step then has a zero gradient).</returns>
    public static float WeightedSumLossScale(double totalWeight)
    {
        if (!(totalWeight >= 0) || double.IsInfinity(totalWeight))
            throw new ArgumentOutOfRangeException(nameof(totalWeight), totalWeight, "total weight must be finite and >= 0");
        return totalWeight == 0 ? 0f : (float)(1.0 / totalWeight);
    }
}
