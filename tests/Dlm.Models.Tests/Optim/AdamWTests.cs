using Dlm.Models.Optim;

namespace Dlm.Models.Tests.Optim;

public class AdamWTests
{
    private static readonly AdamWOptions Niels = new(0.9f, 0.95f, 1e-8f, 0.1f);

    private static (float[] P, float[] G, float[] M, float[] V) State(int n, int seed)
    {
        var rng = new Random(seed);
        var p = OptimAssert.Random(rng, n, 1.0);
        var g = OptimAssert.Random(rng, n, 0.1);
        var m = OptimAssert.Random(rng, n, 0.01);
        var v = new float[n];
        for (var i = 0; i < n; i++) v[i] = (float)(rng.NextDouble() * 1e-3);
        // Edge values the kernels must agree on.
        if (n > 3) { g[0] = 0f; v[0] = 0f; m[0] = 0f; g[1] = 1e-30f; v[2] = 1e-20f; g[3] = -0f; }
        return (p, g, m, v);
    }

    public static TheoryData<int> Lengths => new() { 0, 1, 7, 15, 16, 17, 31, 33, 64, 1000, 4099 };

    [Theory]
    [MemberData(nameof(Lengths))]
    public void Vector_kernels_match_the_scalar_reference_bit_for_bit(int n)
    {
        var kernels = new List<AdamW.Kernel> { AdamW.Kernel.Best };
        if (System.Runtime.Intrinsics.Vector256.IsHardwareAccelerated) kernels.Add(AdamW.Kernel.Vector256);
        if (System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated) kernels.Add(AdamW.Kernel.Vector512);
        foreach (var decay in new[] { true, false })
        foreach (var kernel in kernels)
        {
            var (p0, g, m0, v0) = State(n, 7 + n);
            var (p1, _, m1, v1) = State(n, 7 + n);
            ParamRange[] ranges = [new("w", 0, n, decay)];
            for (var step = 1; step <= 3; step++)
            {
                AdamW.Step(p0, g, m0, v0, ranges, step, 3e-4f, Niels, AdamW.Kernel.Scalar);
                AdamW.Step(p1, g, m1, v1, ranges, step, 3e-4f, Niels, kernel);
            }
            Assert.Equal(p0, p1);
            Assert.Equal(m0, m1);
            Assert.Equal(v0, v1);
        }
    }

    [Fact]
    public void Scalar_reference_follows_the_adamw_formula_in_double()
    {
        // Independent check of the reference: the textbook formula evaluated in double.
        var (p, g, m, v) = State(257, 3);
        var (pd, _, md, vd) = State(257, 3);
        ParamRange[] ranges = [new("a", 0, 100, true), new("b", 100, 157, false)];
        const double lr = 1e-3, b1 = 0.9, b2 = 0.95, eps = 1e-8, wd = 0.1;
        for (var t = 1; t <= 5; t++)
        {
            AdamW.Step(p, g, m, v, ranges, t, (float)lr, Niels, AdamW.Kernel.Scalar);
            for (var i = 0; i < pd.Length; i++)
            {
                double pi = pd[i], mi = md[i], vi = vd[i], gi = g[i];
                if (i < 100) pi -= lr * wd * pi;
                mi = b1 * mi + (1 - b1) * gi;
                vi = b2 * vi + (1 - b2) * gi * gi;
                pi -= lr * (mi / (1 - Math.Pow(b1, t))) / (Math.Sqrt(vi / (1 - Math.Pow(b2, t))) + eps);
                pd[i] = (float)pi; md[i] = (float)mi; vd[i] = (float)vi;
            }
        }
        OptimAssert.Close(p, pd, 1e-6, "params");
        OptimAssert.Close(m, md, 1e-6, "m");
        OptimAssert.Close(v, vd, 1e-6, "v");
    }

    [Fact]
    public void First_step_moves_each_weight_by_about_lr_against_its_gradient()
    {
        float[] p = [1f, 1f, -2f, 0.5f];
        float[] g = [0.3f, -4f, 1e-3f, 0f];
        var m = new float[4];
        var v = new float[4];
        AdamW.Step(p, g, m, v, [new ParamRange("w", 0, 4, Decay: false)], 1, 0.01f, Niels);
        Assert.Equal(0.99f, p[0], 1e-6f);
        Assert.Equal(1.01f, p[1], 1e-6f);
        Assert.Equal(-2.01f, p[2], 1e-5f);
        Assert.Equal(0.5f, p[3]); // zero gradient, no decay: unchanged
    }

    [Fact]
    public void Weight_decay_applies_only_to_decay_ranges_and_gaps_stay_untouched()
    {
        var p = Enumerable.Repeat(2f, 12).ToArray();
        var g = new float[12];
        var m = new float[12];
        var v = new float[12];
        ParamRange[] ranges = [new("decayed", 0, 4, true), new("plain", 6, 4, false)];
        AdamW.Step(p, g, m, v, ranges, 1, 0.5f, new AdamWOptions(WeightDecay: 0.1f));
        Assert.All(p[..4], x => Assert.Equal(2f * (1f - 0.05f), x, 1e-7f));
        Assert.Equal([2f, 2f], p[4..6]);
        Assert.All(p[6..10], x => Assert.Equal(2f, x));
        Assert.Equal([2f, 2f], p[10..]);
    }

    [Fact]
    public void Step_allocates_nothing()
    {
        const int n = 100_003;
        var (p, g, m, v) = State(n, 1);
        ParamRange[] ranges = [new("a", 0, 50_000, true), new("b", 50_000, 50_003, false)];
        AdamW.Step(p, g, m, v, ranges, 1, 1e-3f, Niels); // JIT and statics first
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var t = 2; t < 12; t++) AdamW.Step(p, g, m, v, ranges, t, 1e-3f, Niels);
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public void Rejects_bad_arguments()
    {
        var a = new float[8];
        ParamRange[] ok = [new("w", 0, 8, true)];
        Assert.Throws<ArgumentOutOfRangeException>(() => AdamW.Step(a, a, a, a, ok, 0, 1e-3f, Niels));
        Assert.Throws<ArgumentException>(() => AdamW.Step(a, new float[7], a, a, ok, 1, 1e-3f, Niels));
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() =>
            AdamW.Step(a, a, a, a, [new ParamRange("too.long", 4, 5, true)], 1, 1e-3f, Niels));
        Assert.Contains("too.long", ex.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() =>
            AdamW.Step(a, a, a, a, ok, 1, 1e-3f, new AdamWOptions(Beta2: 1f)));
    }

    [Fact]
    public void Decimal_widening_recovers_the_typed_double()
    {
        Assert.Equal(0.9, DecimalWidening.Widen(0.9f));
        Assert.Equal(0.95, DecimalWidening.Widen(0.95f));
        Assert.Equal(3e-4, DecimalWidening.Widen(3e-4f));
        Assert.Equal(double.PositiveInfinity, DecimalWidening.Widen(float.PositiveInfinity));
    }
}

public class AdamWPartitionTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(7)]
    [InlineData(64)]
    public void Parts_together_update_exactly_what_one_call_updates(int parts)
    {
        var options = new AdamWOptions(0.9f, 0.95f, 1e-8f, 0.1f);
        var rng = new Random(parts);
        const int n = 2000;
        var g = OptimAssert.Random(rng, n, 0.1);
        var p0 = OptimAssert.Random(rng, n, 1.0);
        var (p1, m0, v0, m1, v1) = ((float[])p0.Clone(), new float[n], new float[n], new float[n], new float[n]);
        ParamRange[] ranges = [new("a", 3, 500, true), new("b", 600, 37, false), new("c", 700, 1, true), new("d", 1000, 999, true)];
        for (var t = 1; t <= 2; t++)
        {
            AdamW.Step(p0, g, m0, v0, ranges, t, 1e-2f, options);
            // Parts in reverse order, as threads may finish in any order.
            for (var part = parts - 1; part >= 0; part--)
                AdamW.Step(p1, g, m1, v1, ranges, t, 1e-2f, options, part, parts);
        }
        Assert.Equal(p0, p1);
        Assert.Equal(m0, m1);
        Assert.Equal(v0, v1);
    }

    [Fact]
    public void Part_must_be_inside_parts()
    {
        var a = new float[4];
        ParamRange[] r = [new("w", 0, 4, true)];
        Assert.Throws<ArgumentOutOfRangeException>(() => AdamW.Step(a, a, a, a, r, 1, 1e-3f, new AdamWOptions(), 2, 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => AdamW.Step(a, a, a, a, r, 1, 1e-3f, new AdamWOptions(), 0, 0));
    }
}
