namespace Dlm.Models.Tests.Optim;

/// <summary>The project's tensor comparison: max|a-b| / (max|b| + 1e-8).</summary>
internal static class OptimAssert
{
    public static double RelativeError(ReadOnlySpan<float> actual, ReadOnlySpan<float> expected)
    {
        Assert.Equal(expected.Length, actual.Length);
        double maxDiff = 0, maxRef = 0;
        for (var i = 0; i < expected.Length; i++)
        {
            maxDiff = Math.Max(maxDiff, Math.Abs((double)actual[i] - expected[i]));
            maxRef = Math.Max(maxRef, Math.Abs((double)expected[i]));
        }
        return maxDiff / (maxRef + 1e-8);
    }

    public static void Close(ReadOnlySpan<float> actual, ReadOnlySpan<float> expected, double tolerance, string what)
    {
        var err = RelativeError(actual, expected);
        Assert.True(err <= tolerance, $"{what}: relative error {err:E3} > {tolerance:E1}");
    }

    public static float[] Random(Random rng, int n, double scale)
    {
        var a = new float[n];
        for (var i = 0; i < n; i++) a[i] = (float)((rng.NextDouble() * 2 - 1) * scale);
        return a;
    }
}
