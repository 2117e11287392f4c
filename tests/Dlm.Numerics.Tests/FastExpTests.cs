using System.Runtime.Intrinsics;
using Dlm.Numerics.Kernels;

namespace Dlm.Numerics.Tests;

/// <summary>
/// The float32 exp of the softmax passes: the scalar form against float64 over the whole range
/// (2 ulp for normal results, one subnormal step below them, exact specials), and every vector path
/// bit for bit against the scalar form, alone and inside the fused shift-exp-sum row pass.
/// </summary>
public sealed class FastExpTests
{
    private static readonly float[] Specials =
    [
        0f, -0f, 1f, -1f, float.PositiveInfinity, float.NegativeInfinity, float.NaN, float.Epsilon, -float.Epsilon,
        88.72283f, 88.7229f, 88.8f, 89f, 89.5f, 1000f, float.MaxValue, -87.33654f, -87.4f, -100f, -103.2789f, -103.98f,
        -104f, -104.5f, -200f, float.MinValue, 0.34657359f, -0.34657359f, 0.3465736f, 1e-8f, -1e-8f,
    ];

    // Dense sweep of the range plus random points, plus the specials.
    private static float[] Inputs()
    {
        var list = new List<float>(Specials);
        for (float x = -110f; x <= 92f; x += 0.000731f) list.Add(x);
        var rng = new Random(7);
        for (int i = 0; i < 200_000; i++) list.Add((float)(rng.NextDouble() * 200 - 110));
        return [.. list];
    }

    [Fact]
    public void Scalar_exp_is_within_two_ulp_of_float64_and_exact_at_the_specials()
    {
        float minNormal = 1.17549435e-38f;
        foreach (float x in Inputs())
        {
            float got = FastExp.Exp(x);
            double want = Math.Exp(x);
            if (float.IsNaN(x)) { Assert.True(float.IsNaN(got), "NaN in, NaN out"); continue; }
            if (want > float.MaxValue) { Assert.True(float.IsPositiveInfinity(got), $"exp({x:R}) = {got:R}, want +inf"); continue; }
            if (want >= minNormal)
            {
                double ulp = (double)MathF.BitIncrement((float)want) - (float)want;
                double err = Math.Abs(got - want) / Math.Max(ulp, double.Epsilon);
                Assert.True(err <= 2.0, $"exp({x:R}) = {got:R}, want {want:R}: {err:F2} ulp");
            }
            else Assert.True(Math.Abs(got - want) <= 2 * (double)float.Epsilon, $"exp({x:R}) = {got:R}, want {want:R} (subnormal)");
        }
        Assert.Equal(1f, FastExp.Exp(0f));
        Assert.Equal(0f, FastExp.Exp(float.NegativeInfinity));
        Assert.Equal(float.PositiveInfinity, FastExp.Exp(float.PositiveInfinity));
    }

    [Fact]
    public void Vector_exp_gives_the_scalar_bits()
    {
        var xs = Inputs();
        for (int i = 0; i + 16 <= xs.Length; i += 16)
        {
            if (Vector512.IsHardwareAccelerated)
            {
                var v = FastExp.Exp(Vector512.Create(xs.AsSpan(i, 16)));
                for (int k = 0; k < 16; k++) SameBits(FastExp.Exp(xs[i + k]), v.GetElement(k), xs[i + k]);
            }
            if (Vector256.IsHardwareAccelerated)
            {
                var v = FastExp.Exp(Vector256.Create(xs.AsSpan(i, 8)));
                for (int k = 0; k < 8; k++) SameBits(FastExp.Exp(xs[i + k]), v.GetElement(k), xs[i + k]);
            }
        }
    }

    public static TheoryData<int> Widths()
    {
        var data = new TheoryData<int> { 0 };
        if (Vector256.IsHardwareAccelerated) data.Add(256);
        if (Vector512.IsHardwareAccelerated) data.Add(512);
        return data;
    }

    [Theory]
    [MemberData(nameof(Widths))]
    public void Shifted_exp_row_gives_each_element_the_scalar_bits_and_their_sum(int width)
    {
        var rng = new Random(width + 1);
        foreach (int n in new[] { 0, 1, 7, 8, 9, 15, 16, 17, 31, 33, 64, 127, 128, 1000, 49152 })
        {
            var x = Enumerable.Range(0, n).Select(_ => (float)(rng.NextDouble() * 30 - 20)).ToArray();
            float shift = n == 0 ? 0f : x.Max();
            var dst = new float[n];
            float sum = FastExp.ExpShiftedSum(x, shift, dst, width);
            double want = 0;
            for (int i = 0; i < n; i++)
            {
                SameBits(FastExp.Exp(x[i] - shift), dst[i], x[i]);
                want += dst[i];
            }
            Assert.True(Math.Abs(sum - want) <= (1e-6 + n * 1e-10) * Math.Max(1, want), $"n={n}: sum {sum:R} vs {want:R}");
            // In place: the same bits.
            var inPlace = (float[])x.Clone();
            float sum2 = FastExp.ExpShiftedSum(inPlace, shift, inPlace, width);
            Assert.Equal(dst, inPlace);
            Assert.Equal(sum, sum2);
        }
    }

    [Theory]
    [MemberData(nameof(Widths))]
    public void SumExpShifted_matches_float64_sums_of_the_same_exps_on_every_path(int width)
    {
        var rng = new Random(11);
        foreach (int n in new[] { 0, 1, 15, 16, 33, 1023, 1024, 1040, 49152, 50257 })
        {
            // Logit-like rows: the sum of a 49152-entry vocabulary is what a logprob's normaliser needs.
            var x = Enumerable.Range(0, n).Select(_ => (float)(rng.NextDouble() * 16 - 8)).ToArray();
            float shift = n == 0 ? 0f : x.Max();
            double want = 0;
            foreach (float v in x) want += FastExp.Exp(v - shift);
            double got = FastExp.SumExpShifted(x, shift, width);
            Assert.True(Math.Abs(got - want) <= 1e-6 * Math.Max(1, want), $"n={n}: {got:R} vs {want:R}");
        }
    }

    private static void SameBits(float want, float got, float x)
    {
        if (float.IsNaN(want)) Assert.True(float.IsNaN(got), $"exp({x:R}): NaN expected");
        else Assert.True(BitConverter.SingleToInt32Bits(want) == BitConverter.SingleToInt32Bits(got), $"exp({x:R}): {want:R} vs {got:R}");
    }
}
