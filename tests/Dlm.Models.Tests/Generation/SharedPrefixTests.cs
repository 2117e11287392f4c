using Dlm.Models.Config;
using Dlm.Models.Generation;
using Dlm.Numerics.Kernels;
using Dlm.Numerics.Threading;

namespace Dlm.Models.Tests.Generation;

/// <summary>
/// Sequences copied from one prompt share its cached rows (CopySequence copies nothing) and still get,
/// bit for bit, the logits that the same operations give one sequence in a session of its own, through
/// truncation below and above the shared length (of a sharer and of the sequence holding the prompt),
/// copies between sharers and back into the holder, and a reset of the holder.
/// </summary>
public sealed class SharedPrefixTests
{
    // Head width 64 (the vector attention path), two KV heads of three query heads each.
    private static ModelConfig Config() => new()
    {
        Family = ModelFamily.Llama, ModelType = "llama", VocabSize = 97, ContextLength = 192, DModel = 384, Layers = 2,
        Heads = 6, KvHeads = 2, DFf = 160, TiedEmbeddings = true, NormEps = 1e-5f,
    };

    private const int Capacity = 180;

    // One operation on one sequence, to replay alone.
    private sealed record Op(int[]? Prefill, int Step, int TruncateTo);

    [Theory]
    [InlineData(WeightFormat.F32)]
    [InlineData(WeightFormat.F16)]
    [InlineData(WeightFormat.Bf16)]
    public void Sequences_sharing_a_prompt_get_the_bits_a_private_cache_gives(WeightFormat format)
    {
        var model = DecodeBenchmark.RandomModel(Config(), format, seed: 9);
        int v = model.Config.VocabSize, n = 8;
        using var pool = new WorkerPool(2);
        var session = new InferenceSession(model, n, Capacity, pool);
        var logs = Enumerable.Range(0, n).Select(_ => new List<Op>()).ToArray();
        var last = new float[n][];
        var logits = new float[n * v];
        var prompt = Enumerable.Range(0, 150).Select(t => (t * 13 + 5) % v).ToArray();

        void Prefill(int s, int[] tokens)
        {
            session.Prefill(s, tokens, logits.AsSpan(0, v));
            logs[s].Add(new Op(tokens, 0, 0));
        }
        void Step(params int[] seqs)
        {
            var tokens = seqs.Select(s => (last[s] is null ? 3 : System.Numerics.Tensors.TensorPrimitives.IndexOfMax(last[s])) * 7 % v + s).Select(t => t % v).ToArray();
            session.Step(seqs, tokens, logits.AsSpan(0, seqs.Length * v));
            for (int b = 0; b < seqs.Length; b++)
            {
                last[seqs[b]] = logits.AsSpan(b * v, v).ToArray();
                logs[seqs[b]].Add(new Op(null, tokens[b], 0));
            }
        }
        void Truncate(int s, int length)
        {
            session.Truncate(s, length);
            logs[s].Add(new Op(null, -1, length));
        }
        void Copy(int from, int to)
        {
            session.CopySequence(from, to);
            logs[to] = [.. logs[from]];
            last[to] = last[from];
        }
        var all = Enumerable.Range(0, n).ToArray();

        Prefill(0, prompt);
        for (int s = 1; s < n; s++) Copy(0, s);
        for (int s = 1; s < n; s++) Assert.Equal(150, session.SharedLength(s));
        for (int i = 0; i < 3; i++) Step(all);
        AssertAlone(model, pool, logs, last, all);

        Truncate(0, 120); // the holder below the shared length: the others copy positions 120..149 and share 120
        for (int s = 1; s < n; s++) Assert.Equal(120, session.SharedLength(s));
        for (int i = 0; i < 2; i++) Step(all);
        Truncate(3, 60); // a sharer below the shared length
        Truncate(5, 140); // a sharer above it: still shares 120
        Assert.Equal(60, session.SharedLength(3));
        Assert.Equal(120, session.SharedLength(5));
        for (int i = 0; i < 2; i++) Step(3, 5);
        Copy(2, 6); // a sharer into another
        Copy(4, 0); // a sharer into the sequence it reads
        Step(all);
        Step(6); // one sequence alone over a shared prefix (attention split by head)
        AssertAlone(model, pool, logs, last, all);

        session.Reset(0); // the holder forgets: every sharer takes its own copy
        logs[0].Clear();
        for (int s = 0; s < n; s++) Assert.Equal(0, session.SharedLength(s));
        Prefill(0, [.. prompt.AsSpan(0, 20)]);
        last[0] = null!;
        for (int i = 0; i < 2; i++) Step(all);
        AssertAlone(model, pool, logs, last, all);
    }

    // Each sequence's operations replayed on a session of one: the same last logits, bit for bit.
    private static void AssertAlone(InferenceModel model, WorkerPool pool, List<Op>[] logs, float[][] last, int[] seqs)
    {
        int v = model.Config.VocabSize;
        foreach (int s in seqs)
        {
            var alone = new InferenceSession(model, 1, Capacity, pool);
            var one = new float[v];
            foreach (var op in logs[s])
            {
                if (op.Prefill is { } tokens) alone.Prefill(0, tokens, one);
                else if (op.Step >= 0) alone.Step([0], [op.Step], one);
                else alone.Truncate(0, op.TruncateTo);
            }
            Assert.Equal(one, last[s]);
        }
    }
}
