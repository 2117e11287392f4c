namespace Dlm.Models.Tests.Layers;

/// <summary>Central finite differences against an analytic gradient, in float32 with a double-accumulated loss.</summary>
internal static class FiniteDifference
{
    public static float[] Random(int n, int seed, float scale = 1f, float offset = 0f)
    {
        var rng = new Random(seed);
        var a = new float[n];
        for (int i = 0; i < n; i++) a[i] = offset + scale * (float)(rng.NextDouble() * 2 - 1);
        return a;
    }

    public static double Dot(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        double s = 0;
        for (int i = 0; i < a.Length; i++) s += (double)a[i] * b[i];
        return s;
    }

    /// <summary>
    /// Perturbs every element of <paramref name="x"/> (or <paramref name="samples"/> of them) by ±h,
    /// re-evaluates <paramref name="loss"/>, and checks the slope against <paramref name="analytic"/>.
    /// </summary>
    public static void Check(string what, float[] x, ReadOnlySpan<float> analytic, Func<double> loss, float h = 1e-2f, double tol = 2e-3, int samples = 0)
    {
        Assert.Equal(x.Length, analytic.Length);
        double scale = 0;
        foreach (var g in analytic) scale = Math.Max(scale, Math.Abs(g));
        Assert.True(scale > 0, $"{what}: analytic gradient is all zero, the check would prove nothing");
        var rng = new Random(7);
        int count = samples > 0 ? Math.Min(samples, x.Length) : x.Length;
        double worst = 0;
        for (int s = 0; s < count; s++)
        {
            int i = samples > 0 ? rng.Next(x.Length) : s;
            float orig = x[i];
            x[i] = orig + h;
            double fp = loss();
            x[i] = orig - h;
            double fm = loss();
            x[i] = orig;
            double num = (fp - fm) / (2.0 * h);
            worst = Math.Max(worst, Math.Abs(num - analytic[i]) / scale);
        }
        Assert.True(worst <= tol, $"{what}: finite difference disagrees by {worst:E3} of max|grad| {scale:E3}");
    }
}
