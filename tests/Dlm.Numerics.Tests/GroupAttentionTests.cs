using Dlm.Numerics.Kernels;

namespace Dlm.Numerics.Tests;

/// <summary>Decode attention of a query group against a cache: the scalar loop, and a head alone equal to itself in its group.</summary>
public sealed class GroupAttentionTests
{
    public static TheoryData<int, int, int> Shapes()
    {
        var data = new TheoryData<int, int, int>();
        foreach (int hd in new[] { 8, 16, 20, 48, 64, 80, 128 }) // 20: the fallback width
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
    [InlineData(20, 3, 50)] // the fallback
    [InlineData(8, 4, 13)]
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

    [Theory]
    [InlineData(64, 3, 300, new[] { 301, 305, 302, 420 })] // the shared rows of a long prompt, sequences of different lengths
    [InlineData(64, 1, 40, new[] { 41 })]
    [InlineData(128, 5, 17, new[] { 17, 30, 18 })] // one sequence with no own rows
    [InlineData(48, 3, 150, new[] { 151, 160 })] // widths 256-bit vectors take but not 512-bit ones
    [InlineData(36, 3, 70, new[] { 71, 75 })] // the fallback
    [InlineData(64, 9, 130, new[] { 131, 133, 140, 131, 131, 150, 132, 131 })] // eight sequences of nine heads
    [InlineData(80, 2, 9, new[] { 10, 11, 40 })]
    [InlineData(64, 3, 0, new[] { 5, 200 })] // nothing shared: each sequence its own rows
    public void Sequences_sharing_a_prefix_get_the_bits_each_gets_over_a_private_copy(int headDim, int heads, int shared, int[] lengths)
    {
        var rng = new Random(headDim + heads + shared);
        float[] Fill(int n) => Enumerable.Range(0, n).Select(_ => (float)(rng.NextDouble() * 4 - 2)).ToArray();
        int n = lengths.Length, capacity = lengths.Max(), ldq = headDim + 5, ldy = headDim + 2, ldp = capacity + 3;
        // One cache: the shared rows first (at an odd offset), then each sequence's own capacity.
        int sharedAt = 7;
        var k = Fill(sharedAt + (shared + n * capacity) * headDim);
        var v = Fill(k.Length);
        var q = Fill(n * heads * ldq + 11);
        var rows = new AttentionRow[n];
        for (int m = 0; m < n; m++)
            rows[m] = new AttentionRow(3 + m * heads * ldq, sharedAt + (shared + m * capacity) * headDim, lengths[m], 1 + m * heads * ldp, 2 + m * heads * ldy);
        var probs = new float[1 + n * heads * ldp];
        var y = new float[2 + n * heads * ldy];
        float scale = 1f / MathF.Sqrt(headDim);
        GroupAttention.DecodeShared(q, ldq, heads, k, v, sharedAt, shared, rows, headDim, scale, probs, ldp, y, ldy);
        for (int m = 0; m < n; m++)
        {
            // The sequence alone: its rows copied contiguous, buffers at other offsets than in the shared call.
            int len = lengths[m];
            var (kc, vc) = (new float[1 + len * headDim], new float[1 + len * headDim]);
            for (int j = 0; j < len; j++)
            {
                int from = (j < shared ? sharedAt : rows[m].Cache) + j * headDim;
                k.AsSpan(from, headDim).CopyTo(kc.AsSpan(1 + j * headDim));
                v.AsSpan(from, headDim).CopyTo(vc.AsSpan(1 + j * headDim));
            }
            var (p1, y1) = (new float[5 + heads * len], new float[3 + heads * headDim]);
            GroupAttention.Decode(q.AsSpan(rows[m].Query), ldq, heads, kc.AsSpan(1), vc.AsSpan(1), len, headDim, scale, p1.AsSpan(5), len, y1.AsSpan(3), headDim);
            var (pw, yw) = (new float[heads * len], new float[heads * headDim]);
            GroupAttention.Scalar(q.AsSpan(rows[m].Query), ldq, heads, kc.AsSpan(1), vc.AsSpan(1), len, headDim, scale, pw, len, yw, headDim);
            for (int h = 0; h < heads; h++)
            {
                Assert.Equal(p1.AsSpan(5 + h * len, len).ToArray(), probs.AsSpan(rows[m].Probs + h * ldp, len).ToArray());
                Assert.Equal(y1.AsSpan(3 + h * headDim, headDim).ToArray(), y.AsSpan(rows[m].Output + h * ldy, headDim).ToArray());
                for (int d = 0; d < headDim; d++)
                    Assert.True(Math.Abs(y1[3 + h * headDim + d] - yw[h * headDim + d]) <= 1e-5f, $"y[{m},{h},{d}] against the scalar loop");
            }
        }
    }

    [Fact]
    public void A_shared_call_rejects_rows_outside_its_buffers()
    {
        var a = new float[256];
        float scale = 0.25f;
        // A sequence shorter than the shared rows, and one whose own rows run past the cache.
        Assert.Throws<ArgumentException>(() => GroupAttention.DecodeShared(a, 16, 1, a, a, 0, 4, [new AttentionRow(0, 0, 3, 0, 0)], 16, scale, a, 8, a, 16));
        Assert.Throws<ArgumentException>(() => GroupAttention.DecodeShared(a, 16, 1, a, a, 0, 2, [new AttentionRow(0, 200, 4, 0, 0)], 16, scale, a, 8, a, 16));
        Assert.Throws<ArgumentException>(() => GroupAttention.DecodeShared(a, 16, 1, a, a, 0, 0, [], 16, scale, a, 8, a, 16));
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
