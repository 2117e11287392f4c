using Dlm.Models.IO.Gguf;

namespace Dlm.Models.Tests.IO.Gguf;

/// <summary>The vectorised and parallel encoders give the bytes of ggml's scalar reference rules.</summary>
public class GgmlEncodingTests
{
    private static float[] Values(int n, int seed)
    {
        var rng = new Random(seed);
        var x = new float[n];
        for (int i = 0; i < n; i++)
        {
            x[i] = (i % 7) switch
            {
                0 => (float)(rng.NextDouble() - 0.5) * 1e-3f,
                1 => BitConverter.Int32BitsToSingle(rng.Next()), // any bit pattern, NaN and infinities included
                2 => MathF.Round((float)(rng.NextDouble() * 254 - 127)) + 0.5f,
                3 => 0f,
                _ => (float)(rng.NextDouble() - 0.5) * 8,
            };
        }
        return x;
    }

    [Fact]
    public void Bf16_matches_the_scalar_rule_for_every_kind_of_value()
    {
        var x = Values(1 << 16, 1);
        var bytes = new byte[x.Length * 2];
        GgmlEncoding.Encode(GgmlType.BF16, x, bytes);
        for (int i = 0; i < x.Length; i++)
            Assert.Equal(GgmlEncoding.ToBf16(x[i]), BitConverter.ToUInt16(bytes, 2 * i));
    }

    [Fact]
    public void Q8_0_matches_ggml_quantize_row_q8_0_ref()
    {
        var x = Values(1 << 14, 2).Select(v => float.IsFinite(v) && MathF.Abs(v) < 1e30f ? v : 1.25f).ToArray();
        // Blocks whose scaled values land exactly on .5: x = (k + 0.5) with amax 127 gives d = 1, id = 1.
        for (int j = 0; j < 32; j++) x[j] = j == 0 ? 127f : (j - 16) + 0.5f;
        var got = new byte[x.Length / 32 * 34];
        GgmlEncoding.Encode(GgmlType.Q8_0, x, got);
        for (int b = 0; b < x.Length / 32; b++)
        {
            float amax = 0;
            for (int j = 0; j < 32; j++) amax = Math.Max(amax, Math.Abs(x[b * 32 + j]));
            float d = amax / 127f, id = d != 0 ? 1f / d : 0f;
            Assert.Equal((Half)d, BitConverter.ToHalf(got, b * 34));
            for (int j = 0; j < 32; j++)
                Assert.Equal((sbyte)MathF.Round(x[b * 32 + j] * id, MidpointRounding.AwayFromZero), (sbyte)got[b * 34 + 2 + j]);
        }
        Assert.Equal(-15, (sbyte)got[2 + 1]); // -14.5 rounds away from zero (ties to even would give -14)
    }

    [Theory]
    [InlineData(GgmlType.F16)]
    [InlineData(GgmlType.BF16)]
    [InlineData(GgmlType.Q8_0)]
    public void Parallel_encoding_gives_the_sequential_bytes(GgmlType type)
    {
        var x = Values(3 * (1 << 18) + 96, 3).Select(v => float.IsFinite(v) && MathF.Abs(v) < 1e30f ? v : 0.5f).ToArray();
        var one = new byte[GgmlTypes.ByteCount(type, x.Length)];
        var many = new byte[one.Length];
        GgmlEncoding.Encode(type, x, one);
        GgmlEncoding.EncodeParallel(type, x, many, 4);
        Assert.Equal(one, many);
    }
}
