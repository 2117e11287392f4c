using Dlm.Models.Optim;

namespace Dlm.Models.Tests.Optim;

/// <summary>
/// Accumulating scaled micro-batch gradients must equal the gradient of one big batch. The model is
/// softmax regression (logits = W x) with per-example weights, whose cross-entropy gradient is
/// exact in closed form: dL/dW = sum_i w_i (softmax(W x_i) - onehot(y_i)) x_i^T.
/// </summary>
public class GradientAccumulationTests
{
    private const int Classes = 5, Features = 7;

    private sealed record Example(float[] X, int Y, float Weight);

    private static Example[] Data(int n, int seed, bool unequalWeights)
    {
        var rng = new Random(seed);
        return Enumerable.Range(0, n).Select(_ => new Example(OptimAssert.Random(rng, Features, 1.0),
            rng.Next(Classes), unequalWeights ? (float)rng.Next(0, 4) : 1f)).ToArray();
    }

    /// <summary>Adds scale * d(sum_i w_i * nll_i)/dW into grad.</summary>
    private static void AccumulateWeightedSumGradient(float[] w, ReadOnlySpan<Example> batch, float scale, float[] grad)
    {
        Span<double> logits = stackalloc double[Classes];
        foreach (var e in batch)
        {
            double max = double.NegativeInfinity, z = 0;
            for (var c = 0; c < Classes; c++)
            {
                double s = 0;
                for (var f = 0; f < Features; f++) s += w[c * Features + f] * e.X[f];
                logits[c] = s;
                max = Math.Max(max, s);
            }
            for (var c = 0; c < Classes; c++) z += Math.Exp(logits[c] - max);
            for (var c = 0; c < Classes; c++)
            {
                var dlogit = Math.Exp(logits[c] - max) / z - (c == e.Y ? 1 : 0);
                for (var f = 0; f < Features; f++) grad[c * Features + f] += (float)(scale * e.Weight * dlogit * e.X[f]);
            }
        }
    }

    private static float[] Weights() => OptimAssert.Random(new Random(99), Classes * Features, 0.5);

    [Fact]
    public void Mean_losses_scaled_by_one_over_n_equal_one_big_batch()
    {
        const int micro = 4, size = 6;
        var data = Data(micro * size, 1, unequalWeights: false);
        var w = Weights();
        var full = new float[w.Length];
        AccumulateWeightedSumGradient(w, data, 1f / data.Length, full); // mean over the big batch

        var accumulated = new float[w.Length];
        for (var k = 0; k < micro; k++)
            AccumulateWeightedSumGradient(w, data.AsSpan(k * size, size),
                GradientAccumulation.MeanLossScale(micro) / size, accumulated); // (micro-batch mean) * 1/N
        OptimAssert.Close(accumulated, full, 1e-6, "accumulated gradient");
    }

    [Fact]
    public void Weighted_sums_scaled_by_the_total_weight_equal_the_weighted_mean_of_one_big_batch()
    {
        // Micro-batches of different sizes and token weights (as SFT batches with masked prompts are).
        var data = Data(23, 2, unequalWeights: true);
        int[] cuts = [0, 3, 11, 12, 23];
        var w = Weights();
        var totalWeight = data.Sum(e => (double)e.Weight);
        var full = new float[w.Length];
        AccumulateWeightedSumGradient(w, data, (float)(1 / totalWeight), full);

        var accumulated = new float[w.Length];
        var scale = GradientAccumulation.WeightedSumLossScale(totalWeight);
        for (var k = 0; k + 1 < cuts.Length; k++)
            AccumulateWeightedSumGradient(w, data.AsSpan(cuts[k], cuts[k + 1] - cuts[k]), scale, accumulated);
        OptimAssert.Close(accumulated, full, 1e-6, "accumulated gradient");

        // Averaging per-micro-batch weighted means with 1/N is a different gradient here.
        var naive = new float[w.Length];
        for (var k = 0; k + 1 < cuts.Length; k++)
        {
            var part = data.AsSpan(cuts[k], cuts[k + 1] - cuts[k]);
            double partWeight = 0;
            foreach (var e in part) partWeight += e.Weight;
            if (partWeight > 0)
                AccumulateWeightedSumGradient(w, part, (float)(GradientAccumulation.MeanLossScale(cuts.Length - 1) / partWeight), naive);
        }
        Assert.True(OptimAssert.RelativeError(naive, full) > 1e-2);
    }

    [Fact]
    public void Edge_cases()
    {
        Assert.Equal(1f, GradientAccumulation.MeanLossScale(1));
        Assert.Equal(0.25f, GradientAccumulation.MeanLossScale(4));
        Assert.Equal(0f, GradientAccumulation.WeightedSumLossScale(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => GradientAccumulation.MeanLossScale(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => GradientAccumulation.WeightedSumLossScale(double.NaN));
    }
}
