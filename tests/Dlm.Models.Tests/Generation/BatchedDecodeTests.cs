using Dlm.Models.Config;
using Dlm.Models.Generation;
using Dlm.Numerics.Kernels;
using Dlm.Numerics.Threading;

namespace Dlm.Models.Tests.Generation;

/// <summary>
/// Batched decode at model widths the vector kernels take (head width 64, a GQA group of three, rows
/// in tiles of three): eight sequences stepping together get the logits each gets alone, bit for bit,
/// in every weight format: the multi-input matrix kernel and the group attention change no bit.
/// </summary>
public sealed class BatchedDecodeTests
{
    private static ModelConfig Config() => new()
    {
        Family = ModelFamily.Llama, ModelType = "llama", VocabSize = 97, ContextLength = 48, DModel = 192, Layers = 2,
        Heads = 3, KvHeads = 1, DFf = 160, TiedEmbeddings = true, NormEps = 1e-5f,
    };

    [Theory]
    [InlineData(WeightFormat.F32)]
    [InlineData(WeightFormat.F16)]
    [InlineData(WeightFormat.Bf16)]
    public void Eight_sequences_together_get_the_bits_each_gets_alone(WeightFormat format)
    {
        var model = DecodeBenchmark.RandomModel(Config(), format, seed: 5);
        int v = model.Config.VocabSize, n = 8, steps = 4;
        using var pool = new WorkerPool(2);
        var prompts = Enumerable.Range(0, n).Select(s => Enumerable.Range(0, 1 + 3 * s).Select(t => (t * 7 + s) % v).ToArray()).ToArray();
        var together = new InferenceSession(model, n, 40, pool);
        var logits = new float[n * v];
        for (int s = 0; s < n; s++) together.Prefill(s, prompts[s], logits.AsSpan(s * v, v));
        var seqs = Enumerable.Range(0, n).ToArray();
        var history = new int[steps, n];
        var next = new int[n];
        for (int s = 0; s < n; s++) next[s] = (s * 11) % v;
        for (int step = 0; step < steps; step++)
        {
            for (int s = 0; s < n; s++) history[step, s] = next[s];
            together.Step(seqs, next, logits);
            for (int s = 0; s < n; s++) next[s] = System.Numerics.Tensors.TensorPrimitives.IndexOfMax(logits.AsSpan(s * v, v));
        }
        for (int s = 0; s < n; s++)
        {
            var alone = new InferenceSession(model, 1, 40, pool);
            var one = new float[v];
            alone.Prefill(0, prompts[s], one);
            for (int step = 0; step < steps; step++) alone.Step([0], [history[step, s]], one);
            Assert.Equal(one, logits.AsSpan(s * v, v).ToArray());
        }
    }
}
