using Dlm.Models.Layers;

namespace Dlm.Models.Tests.Layers;

/// <summary>The one-pass row of the chunked LM head (<see cref="CrossEntropy.RowInPlace"/>) against the two-pass kernels and finite differences.</summary>
public class CrossEntropyRowTests
{
    [Fact]
    public void One_pass_row_matches_forward_then_backward()
    {
        const int v = 37;
        var logits = FiniteDifference.Random(3 * v, 1, 4f);
        int[] targets = [5, 0, 36];
        float[] weights = [1f, 0.5f, 2f];
        var logp = new float[3];
        var lse = new float[3];
        CrossEntropy.Forward(logp, lse, logits, targets, new float[v], v, 0, 3);
        var twoPass = logits.ToArray();
        CrossEntropy.Backward(twoPass, lse, targets, weights, 0.25f, v, 0, 3);
        for (int r = 0; r < 3; r++)
        {
            var row = logits.AsSpan(r * v, v).ToArray();
            var (l, lp) = CrossEntropy.RowInPlace(row, targets[r], gradient: true, 0.25f * weights[r]);
            Assert.Equal(lse[r], l, 1e-5f);
            Assert.Equal(logp[r], lp, 1e-5f);
            for (int j = 0; j < v; j++) Assert.Equal(twoPass[r * v + j], row[j], 1e-6f);
        }
    }

    [Fact]
    public void Row_gradient_matches_finite_differences()
    {
        const int v = 23;
        var x = FiniteDifference.Random(v, 2, 3f);
        const float k = 0.7f;
        var g = x.ToArray();
        CrossEntropy.RowInPlace(g, 4, gradient: true, k);
        FiniteDifference.Check("logits", x, g, () => -k * (double)CrossEntropy.RowInPlace(x.ToArray(), 4, gradient: false, 0f).Logp);
    }
}
