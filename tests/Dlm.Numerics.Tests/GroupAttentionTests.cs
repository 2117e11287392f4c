using Dlm.Numerics.Kernels;

namespace Dlm.Numerics.Tests;

/// <summary>Decode attention of a query group against a cache: the scalar loop, and a head alone equal to itself in its group.</summary>
public sealed class GroupAttentionTests
{
    public static TheoryData<int, int, int> Shapes()
    {
        var data = new TheoryData<int, int, int>();
        foreach (int hd in new[] { 8, 16, 48, 64, 80, 128 })
            foreach (int heads in new[] { 1, 3, 5 })
                foreach (int len in new[] { 1, 37, 300 })
                    data.Add(hd, heads, len);
        return data;
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Decode_matches_the_scalar_loop(int headDim, int heads, int length)
    {
        var (q, k, v) = Random(headDim, heads, length, headDim * 100 + heads * 10 + length);
        int ldq = headDim + 3, ldp = length + 2, ldy = headDim + 1;
        var (p, y) = (new float[heads * ldp], new float[heads * ldy]);
        var (pw, yw) = (new float[heads * ldp], new float[heads * ldy]);
        float scale = 1f / MathF.Sqrt(headDim);
        GroupAttention.Decode(q, ldq, heads, k, v, length, headDim, scale, p, ldp, y, ldy);
        GroupAttention.Scalar(q, ldq, heads, k, v, length, headDim, scale, pw, ldp, yw, ldy);
        for (int h = 0; h < heads; h++)
        {
            float sum = 0;
            for (int j = 0; j < length; j++)
            {
                sum += p[h * ldp + j];
                Assert.True(Math.Abs(p[h * ldp + j] - pw[h * ldp + j]) <= 1e-5f, $"p[{h},{j}]: {p[h * ldp + j]} vs {pw[h * ldp + j]}");
            }
            Assert.True(Math.Abs(sum - 1f) < 1e-4f);
            for (int d = 0; d < headDim; d++)
                Assert.True(Math.Abs(y[h * ldy + d] - yw[h * ldy + d]) <= 1e-5f, $"y[{h},{d}]: {y[h * ldy + d]} vs {yw[h * ldy + d]}");
        }
    }

    [Theory]
    [InlineData(64, 3, 200)]
    [InlineData(64, 7, 33)]
    [InlineData(128, 5, 70)]
    [InlineData(80, 4, 9)]
    [InlineData(24, 3, 50)]
    public void A_head_alone_has_the_bits_it_has_in_its_group(int headDim, int heads, int length)
    {
        var (q, k, v) = Random(headDim, heads, length, 7);
        float scale = 1f / MathF.Sqrt(headDim);
        var (p, y) = (new float[heads * length], new float[heads * headDim]);
        GroupAttention.Decode(q, headDim, heads, k, v, length, headDim, scale, p, length, y, headDim);
        for (int h = 0; h < heads; h++)
        {
            var (p1, y1) = (new float[length], new float[headDim]);
            GroupAttention.Decode(q.AsSpan(h * headDim, headDim), headDim, 1, k, v, length, headDim, scale, p1, length, y1, headDim);
            Assert.Equal(p.AsSpan(h * length, length).ToArray(), p1);
            Assert.Equal(y.AsSpan(h * headDim, headDim).ToArray(), y1);
        }
    }

    [Fact]
    public void Short_buffers_are_rejected()
    {
        var a = new float[64];
        Assert.Throws<ArgumentException>(() => GroupAttention.Decode(a, 16, 2, a, a, 5, 16, 1, a, 5, a, 16)); // 5 rows of 16 need 80 floats
        Assert.Throws<ArgumentException>(() => GroupAttention.Decode(a, 16, 0, a, a, 1, 16, 1, a, 1, a, 16));
    }

    private static (float[] Q, float[] K, float[] V) Random(int headDim, int heads, int length, int seed)
    {
        var rng = new Random(seed);
        float[] Fill(int n) => Enumerable.Range(0, n).Select(_ => (float)(rng.NextDouble() * 4 - 2)).ToArray();
        return (Fill(heads * (headDim + 3)), Fill(length * headDim), Fill(length * headDim));
    }
}
