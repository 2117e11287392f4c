using Dlm.Models.Generation;
using Dlm.Models.Tests.Training;
using Dlm.Numerics.Kernels;
using Dlm.Numerics.Threading;
using Dlm.TestSupport;

namespace Dlm.Models.Tests.Generation;

/// <summary>A decode step in steady state allocates nothing, on the caller or on the pool's threads.</summary>
[Collection(nameof(SerialStepTests))]
public sealed class DecodeAllocationTests
{
    [Theory]
    [InlineData("llama", 1, WeightFormat.F32)]
    [InlineData("llama", 5, WeightFormat.F32)]
    [InlineData("qwen2", 3, WeightFormat.F32)]
    [InlineData("gpt2", 2, WeightFormat.F32)]
    [InlineData("niels", 1, WeightFormat.F32)]
    [InlineData("llama", 1, WeightFormat.F16)] // one f16 input takes its own path (a scaled copy of the input on the stack)
    [InlineData("llama", 1, WeightFormat.Bf16)]
    public void A_steady_state_decode_step_allocates_nothing(string family, int batch, WeightFormat format)
    {
        using var pool = new WorkerPool(2);
        var model = InferenceModel.FromModel(TinyModels.Model(family), format);
        var session = new InferenceSession(model, batch, 30, pool);
        int v = model.Config.VocabSize;
        var logits = new float[batch * v];
        var sequences = Enumerable.Range(0, batch).ToArray();
        var tokens = new int[batch];
        for (int s = 0; s < batch; s++) session.Prefill(s, [1, 2 + s, 3], logits);
        for (int step = 0; step < 3; step++) session.Step(sequences, tokens, logits);
        var allocations = new ThreadAllocations(pool);
        Settle();
        allocations.Start();
        for (int step = 0; step < 5; step++)
        {
            session.Step(sequences, tokens, logits);
            for (int s = 0; s < batch; s++) tokens[s] = TinyModels.ArgMax(logits.AsSpan(s * v, v));
        }
        allocations.Stop();
        Assert.Empty(allocations.Allocating());
    }

    [Theory]
    [InlineData(WeightFormat.F32)]
    [InlineData(WeightFormat.F16)]
    [InlineData(WeightFormat.Bf16)]
    public void A_step_of_sequences_sharing_a_prompt_allocates_nothing(WeightFormat format)
    {
        using var pool = new WorkerPool(2);
        var model = InferenceModel.FromModel(TinyModels.Model("llama"), format);
        const int batch = 6;
        var session = new InferenceSession(model, batch, 30, pool);
        int v = model.Config.VocabSize;
        var logits = new float[batch * v];
        var sequences = Enumerable.Range(0, batch).ToArray();
        var tokens = new int[batch];
        session.Prefill(0, [1, 2, 3, 4, 5], logits);
        for (int s = 1; s < batch; s++) session.CopySequence(0, s);
        Assert.Equal(5, session.SharedLength(batch - 1));
        for (int step = 0; step < 3; step++)
        {
            session.Step(sequences, tokens, logits);
            session.Step(sequences.AsSpan(2, 1), tokens.AsSpan(0, 1), logits);
        }
        var allocations = new ThreadAllocations(pool);
        Settle();
        allocations.Start();
        for (int step = 0; step < 5; step++)
        {
            session.Step(sequences, tokens, logits); // the group over the shared rows
            session.Step(sequences.AsSpan(2, 1), tokens.AsSpan(0, 1), logits); // one sharer alone, split by head
            for (int s = 0; s < batch; s++) tokens[s] = TinyModels.ArgMax(logits.AsSpan(s * v, v));
        }
        allocations.Stop();
        Assert.Empty(allocations.Allocating());
    }

    // A garbage collection that overlaps the measured steps (a background one, started by the caches earlier
    // tests left behind) shifts the per-thread counters by up to an allocation quantum with nothing allocated:
    // on main's code too, a standalone loop of steps saw 3-8 such counts of 300-7000 bytes in 3000 steps, and
    // none after a blocking collection. So the steps are measured after one.
    private static void Settle()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
    }
}
