using Dlm.Models.Generation;
using Dlm.Models.Layers;

namespace Dlm.Models.Tests.Generation;

/// <summary>Inference SwiGLU: close to the training layer's, and the same bits on every path and column split.</summary>
public sealed class SwiGluRowsTests
{
    private static float[] Fc(int rows, int f, int seed)
    {
        var rng = new Random(seed);
        var fc = new float[rows * 2 * f];
        for (int i = 0; i < fc.Length; i++) fc[i] = (float)(rng.NextDouble() * 24 - 12);
        fc[0] = -200f; // e^200 overflows: σ is 0, the product −0
        fc[1] = 150f;
        return fc;
    }

    [Theory]
    [InlineData(1, 1536)]
    [InlineData(3, 37)]
    [InlineData(2, 7)]
    public void Matches_the_training_layer_within_float_rounding(int rows, int f)
    {
        var fc = Fc(rows, f, f);
        var (a, reference) = (new float[rows * f], new float[rows * f]);
        for (int r = 0; r < rows; r++) SwiGluRows.Forward(a, fc, f, r, 0, f);
        Activations.SwiGluForward(reference, fc, f, 0, rows);
        for (int i = 0; i < a.Length; i++)
            Assert.True(Math.Abs(a[i] - reference[i]) <= 1e-6f * Math.Max(1f, Math.Abs(reference[i])), $"{i}: {a[i]} vs {reference[i]}");
    }

    [Theory]
    [InlineData(1536)]
    [InlineData(53)]
    public void Every_path_and_column_split_gives_the_same_bits(int f)
    {
        var fc = Fc(2, f, 3);
        var whole = new float[2 * f];
        SwiGluRows.Forward(whole, fc, f, 1, 0, f, 512);
        foreach (int width in new[] { 512, 256, 0 })
            foreach (int cut in new[] { 0, 1, 16, 17, f / 2, f - 1 })
            {
                var split = new float[2 * f];
                SwiGluRows.Forward(split, fc, f, 1, 0, cut, width);
                SwiGluRows.Forward(split, fc, f, 1, cut, f, width);
                Assert.Equal(whole.AsSpan(f).ToArray(), split.AsSpan(f).ToArray());
            }
    }
}
