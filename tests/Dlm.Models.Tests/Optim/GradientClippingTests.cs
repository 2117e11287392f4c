using Dlm.Models.Optim;

namespace Dlm.Models.Tests.Optim;

public class GradientClippingTests
{
    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(8)]
    [InlineData(17)]
    [InlineData(1000)]
    [InlineData(100_001)]
    public void Vector_norm_matches_the_double_reference(int n)
    {
        var g = OptimAssert.Random(new Random(n), n, 3.0);
        var expected = GradientClipping.SumOfSquaresScalar(g);
        Assert.Equal(expected, GradientClipping.SumOfSquares(g), Math.Max(1e-300, 1e-13 * expected));
        Assert.Equal((float)Math.Sqrt(expected), GradientClipping.GlobalNorm(g));
    }

    [Fact]
    public void Norm_of_a_pythagorean_vector_is_exact()
    {
        Assert.Equal(5f, GradientClipping.GlobalNorm([3f, 0f, -4f]));
        Assert.Equal(0f, GradientClipping.GlobalNorm([]));
    }

    [Fact]
    public void Norm_keeps_digits_over_many_elements()
    {
        // 16M ones: float accumulation stalls at 2^24; double gives the exact 4096.
        var g = new float[1 << 24];
        Array.Fill(g, 1f);
        Assert.Equal(4096f, GradientClipping.GlobalNorm(g));
    }

    [Fact]
    public void Clips_like_torch_clip_grad_norm()
    {
        float[] g = [3f, -4f];
        var norm = GradientClipping.ClipByGlobalNorm(g, 1f);
        Assert.Equal(5f, norm);
        var coef = 1f / (5f + 1e-6f);
        Assert.Equal([3f * coef, -4f * coef], g);

        float[] small = [0.3f, 0.4f];
        Assert.Equal(0.5f, GradientClipping.ClipByGlobalNorm(small, 1f));
        Assert.Equal([0.3f, 0.4f], small);
    }

    [Fact]
    public void Scales_when_the_norm_is_within_eps_below_the_threshold_as_torch_does()
    {
        // torch multiplies by min(1, max/(norm+1e-6)): a norm of exactly max_norm is scaled slightly.
        float[] g = [1f];
        GradientClipping.ClipByGlobalNorm(g, 1f);
        Assert.Equal(1f / (1f + 1e-6f), g[0]);
        Assert.True(g[0] < 1f);
    }

    [Fact]
    public void Non_finite_norms_are_reported()
    {
        float[] nan = [1f, float.NaN];
        Assert.True(float.IsNaN(GradientClipping.ClipByGlobalNorm(nan, 1f)));
        float[] inf = [1f, float.PositiveInfinity];
        Assert.True(float.IsPositiveInfinity(GradientClipping.ClipByGlobalNorm(inf, 1f)));
        Assert.Equal(0f, inf[0]); // scaled by max/(inf) = 0, like torch
        Assert.Throws<ArgumentOutOfRangeException>(() => GradientClipping.ClipByGlobalNorm(new float[1], 0f));
    }

    [Fact]
    public void Clipped_norm_never_exceeds_the_threshold()
    {
        // A seeded property check over sizes, scales and thresholds spanning many orders of magnitude.
        var rng = new Random(42);
        for (var trial = 0; trial < 500; trial++)
        {
            var n = rng.Next(1, 300);
            var scale = Math.Pow(10, rng.Next(-8, 9));
            var max = (float)Math.Pow(10, rng.NextDouble() * 8 - 4);
            var g = OptimAssert.Random(rng, n, scale);
            var pre = GradientClipping.GlobalNorm(g);
            var copy = (float[])g.Clone();
            Assert.Equal(pre, GradientClipping.ClipByGlobalNorm(g, max));
            var post = GradientClipping.GlobalNorm(g);
            Assert.True(post <= max * (1 + 1e-6), $"trial {trial}: {post} > {max}");
            if (pre + GradientClipping.NormEpsilon < max) Assert.Equal(copy, g);
            else Assert.Equal(pre * GradientClipping.ClipCoefficient(pre, max), post, max * 1e-5);
        }
    }

    [Fact]
    public void Clipping_allocates_nothing()
    {
        var g = OptimAssert.Random(new Random(5), 100_000, 1.0);
        GradientClipping.ClipByGlobalNorm(g, 1f);
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 10; i++) GradientClipping.ClipByGlobalNorm(g, 0.5f);
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}
