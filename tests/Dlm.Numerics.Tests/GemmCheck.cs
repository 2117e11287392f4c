using Dlm.Numerics.Gemm;

namespace Dlm.Numerics.Tests;

/// <summary>Runs one product on a backend and compares it with a float64 evaluation of the definition.</summary>
internal static class GemmCheck
{
    /// <summary>
    /// C = alpha·op(A)·op(B) + beta·C with padded leading dimensions (extra columns hold NaN, which
    /// must never be read) and C's padding checked untouched afterwards. The relative error bound
    /// defaults to one that grows with √k; <paramref name="tolerance"/> fixes it instead.
    /// </summary>
    public static void Product(IGemm g, int m, int n, int k, bool ta, bool tb,
        float alpha = 0.75f, float beta = 0.25f, int pad = 0, bool nanC = false, int seed = 0, double? tolerance = null)
    {
        var rng = new Random(seed + m * 131 + n * 31 + k * 7 + (ta ? 1 : 0) + (tb ? 2 : 0));
        int aRows = ta ? k : m, aCols = ta ? m : k, bRows = tb ? n : k, bCols = tb ? k : n;
        int lda = Math.Max(aCols + pad, 1), ldb = Math.Max(bCols + pad, 1), ldc = Math.Max(n + pad, 1);
        var a = Padded(rng, aRows, aCols, lda);
        var b = Padded(rng, bRows, bCols, ldb);
        var c = Padded(rng, m, n, ldc);
        if (nanC) for (int i = 0; i < m; i++) c.AsSpan(i * ldc, n).Fill(float.NaN);
        var c0 = (float[])c.Clone();
        g.Sgemm(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);

        double maxRef = 1e-8, maxErr = 0;
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                double s = 0;
                for (int p = 0; p < k; p++)
                    s += (double)(ta ? a[p * lda + i] : a[i * lda + p]) * (tb ? b[j * ldb + p] : b[p * ldb + j]);
                double want = alpha * s + (beta == 0f ? 0 : beta * (double)c0[i * ldc + j]);
                double got = c[i * ldc + j];
                if (double.IsNaN(got)) Assert.Fail($"{g.Name} {m}x{n}x{k} ta={ta} tb={tb}: NaN at ({i},{j})");
                maxRef = Math.Max(maxRef, Math.Abs(want));
                maxErr = Math.Max(maxErr, Math.Abs(want - got));
            }
        // float32 accumulation over k terms of size ~1: error grows like sqrt(k)·eps relative to the sum scale.
        double tol = tolerance ?? 2e-6 * Math.Sqrt(Math.Max(k, 1)) + 1e-6;
        Assert.True(maxErr / maxRef <= tol, $"{g.Name} {m}x{n}x{k} ta={ta} tb={tb} pad={pad}: relative error {maxErr / maxRef:E2} > {tol:E2}");
        for (int i = 0; i < m; i++)
            for (int j = n; j < ldc && i * ldc + j < c.Length; j++)
                if (BitConverter.SingleToInt32Bits(c[i * ldc + j]) != BitConverter.SingleToInt32Bits(c0[i * ldc + j]))
                    Assert.Fail($"{g.Name}: padding of C at ({i},{j}) was written");
    }

    public static float[] Rand(Random rng, int n)
    {
        var x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float)(rng.NextDouble() * 2 - 1);
        return x;
    }

    /// <summary>rows×cols values with row stride ld; the padding between rows is NaN.</summary>
    private static float[] Padded(Random rng, int rows, int cols, int ld)
    {
        var x = new float[Math.Max(rows * ld, 1)];
        Array.Fill(x, float.NaN);
        for (int i = 0; i < rows; i++)
            for (int j = 0; j < cols; j++) x[i * ld + j] = (float)(rng.NextDouble() * 2 - 1);
        return x;
    }
}
