using Dlm.Models.Layers;

namespace Dlm.Models.Tests.Layers;

// The vectorised mask (sixteen draws at a time) must be bit for bit the sequential one: the dropout
// stream order is part of the model's contract (fixtures, checkpoints resume it).
public class DropoutVectorTests
{
    private static float Scalar(ref SplitMix64 rng, float p) => rng.NextFloat() < p ? 0f : 1f / (1f - p);

    [Theory]
    [InlineData(0.1f, 1000)]
    [InlineData(0.05f, 16)]
    [InlineData(0.5f, 37)]
    [InlineData(0.3f, 5)]
    [InlineData(0.999f, 333)]
    public void Every_drawing_kernel_gives_the_sequential_mask_and_leaves_the_state_where_it_would(float p, int n)
    {
        var seq = new SplitMix64(0x1234_5678_9ABCUL);
        var expected = new float[n];
        for (int i = 0; i < n; i++) expected[i] = Scalar(ref seq, p);

        var rng = new SplitMix64(0x1234_5678_9ABCUL);
        var mask = new float[n];
        Dropout.DrawMask(mask, p, ref rng);
        Assert.Equal(expected, mask);
        Assert.Equal(seq.State, rng.State);

        var src = Enumerable.Range(0, n).Select(i => 0.25f * (i % 13) - 1f).ToArray();
        var applied = new float[n];
        rng = new SplitMix64(0x1234_5678_9ABCUL);
        Dropout.ApplyDrawn(applied, src, p, ref rng);
        Assert.Equal(seq.State, rng.State);
        var inPlace = (float[])src.Clone();
        rng = new SplitMix64(0x1234_5678_9ABCUL);
        Dropout.ApplyDrawn(inPlace, p, ref rng);
        var added = Enumerable.Repeat(0.5f, n).ToArray();
        rng = new SplitMix64(0x1234_5678_9ABCUL);
        Dropout.MultiplyAddDrawn(added, src, p, ref rng);
        Assert.Equal(seq.State, rng.State);
        for (int i = 0; i < n; i++)
        {
            Assert.Equal(src[i] * expected[i], applied[i]);
            Assert.Equal(src[i] * expected[i], inPlace[i]);
            Assert.Equal(0.5f + src[i] * expected[i], added[i]);
        }
        if (n >= 100) Assert.Contains(0f, mask);
    }
}
