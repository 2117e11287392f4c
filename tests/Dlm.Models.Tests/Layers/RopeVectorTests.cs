using Dlm.Models.Config;
using Dlm.Models.Layers;

namespace Dlm.Models.Tests.Layers;

// Rope.Apply turns whole vectors at head dims that are multiples of 16 (both layouts) and is scalar
// below; ApplyAt is the scalar rotation: the two must agree exactly, and the inverse must undo it.
public class RopeVectorTests
{
    [Theory]
    [InlineData(ModelFamily.Niels, 64)]
    [InlineData(ModelFamily.Llama, 64)]
    [InlineData(ModelFamily.Llama, 32)]
    [InlineData(ModelFamily.Niels, 32)]
    public void The_vector_rotation_is_the_scalar_one(ModelFamily family, int hd)
    {
        var cfg = new ModelConfig
        {
            Family = family, ModelType = family == ModelFamily.Niels ? "niels" : "llama", VocabSize = 8, ContextLength = 64,
            DModel = 2 * hd, Layers = 1, Heads = 2, KvHeads = 1, DFf = 8, RopeTheta = 10000,
        };
        const int t = 40, heads = 3;
        var rope = new Rope(cfg, t);
        int width = 4 * hd;
        var rng = new SplitMix64(7);
        var x = new float[2 * t * width];
        for (int i = 0; i < x.Length; i++) x[i] = (float)rng.NextGaussian();
        var vec = (float[])x.Clone();
        rope.Apply(vec, width, heads, hd, t, 0, 2 * t, inverse: false);
        var scalar = (float[])x.Clone();
        for (int r = 0; r < 2 * t; r++) rope.ApplyAt(scalar.AsSpan(r * width, width), heads, hd, r % t);
        Assert.Equal(scalar, vec);
        rope.Apply(vec, width, heads, hd, t, 0, 2 * t, inverse: true);
        for (int i = 0; i < x.Length; i++) Assert.Equal(x[i], vec[i], 1e-5f);
    }
}
