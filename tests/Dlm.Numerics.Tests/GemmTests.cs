using Dlm.Numerics.Gemm;

namespace Dlm.Numerics.Tests;

/// <summary>Every GEMM backend against a float64 scalar reference, on odd shapes and all transposes.</summary>
public class GemmTests
{
    public static TheoryData<int, int, int, bool, bool> Shapes()
    {
        var data = new TheoryData<int, int, int, bool, bool>();
        int[][] shapes = [[1, 1, 1], [7, 13, 5], [1000, 3, 17], [3, 1000, 17], [17, 5, 1000], [64, 64, 64], [33, 65, 129], [0, 4, 4], [4, 4, 0]];
        foreach (var s in shapes)
            foreach (var ta in new[] { false, true })
                foreach (var tb in new[] { false, true })
                    data.Add(s[0], s[1], s[2], ta, tb);
        return data;
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Managed_matches_float64_reference(int m, int n, int k, bool ta, bool tb) =>
        CheckBackend(GemmBackends.Managed, m, n, k, ta, tb);

    [Theory]
    [MemberData(nameof(Shapes))]
    public void OpenBlas_matches_float64_reference(int m, int n, int k, bool ta, bool tb)
    {
        var ob = GemmBackends.OpenBlas
            ?? throw new InvalidOperationException($"OpenBLAS is not available ({GemmBackends.OpenBlasStatus}); run tools/reference/setup.sh as root");
        CheckBackend(ob, m, n, k, ta, tb);
    }

    [Fact]
    public void Respects_leading_dimensions_alpha_and_beta()
    {
        // A 3x4 view inside a 3x6 buffer, C a 3x2 view inside 3x5; beta=0.5 keeps half the old C.
        foreach (var g in GemmBackends.Available)
        {
            var rng = new Random(5);
            var a = GemmCheck.Rand(rng, 3 * 6); var b = GemmCheck.Rand(rng, 4 * 2); var c = GemmCheck.Rand(rng, 3 * 5);
            var expected = (float[])c.Clone();
            for (int i = 0; i < 3; i++)
                for (int j = 0; j < 2; j++)
                {
                    double s = 0;
                    for (int p = 0; p < 4; p++) s += (double)a[i * 6 + p] * b[p * 2 + j];
                    expected[i * 5 + j] = (float)(2.0 * s + 0.5 * c[i * 5 + j]);
                }
            g.Sgemm(false, false, 3, 2, 4, 2f, a, 6, b, 2, 0.5f, c, 5);
            for (int i = 0; i < c.Length; i++) Assert.Equal(expected[i], c[i], 1e-4f);
        }
    }

    [Fact]
    public void Beta_zero_overwrites_NaN()
    {
        foreach (var g in GemmBackends.Available)
        {
            float[] c = [float.NaN, float.NaN];
            g.Sgemm(false, false, 1, 2, 1, 1f, [2f], 1, [3f, 4f], 2, 0f, c, 2);
            Assert.Equal([6f, 8f], c);
        }
    }

    [Fact]
    public void Too_small_buffer_is_rejected()
    {
        foreach (var g in GemmBackends.Available)
            Assert.Throws<ArgumentException>(() => g.Sgemm(false, false, 2, 2, 2, 1f, new float[3], 2, new float[4], 2, 0f, new float[4], 2));
    }

    private static void CheckBackend(IGemm g, int m, int n, int k, bool ta, bool tb) =>
        GemmCheck.Product(g, m, n, k, ta, tb, seed: m * 31 + n * 7 + k, tolerance: 1e-5);
}
