using Dlm.Core;
using Dlm.Models.Generation;
using Dlm.Numerics.Kernels;
using Dlm.Numerics.Threading;

namespace Dlm.Models.Tests.Generation;

/// <summary>Generation with the KV cache against full forward passes of the training model, on all four families.</summary>
public sealed class KvCacheTests
{
    public static TheoryData<string, int> FamiliesAndChunks()
    {
        var d = new TheoryData<string, int>();
        foreach (var f in TinyModels.Families)
        {
            d.Add(f, 256); // one GEMM prefill pass (11 rows)
            d.Add(f, 4);   // three passes, the later ones attending to what is already cached
        }
        return d;
    }

    [Theory]
    [MemberData(nameof(FamiliesAndChunks))]
    public void Greedy_with_the_cache_equals_greedy_without_it(string family, int prefillChunk)
    {
        var model = TinyModels.Model(family);
        var engine = InferenceModel.FromModel(model);
        var session = new InferenceSession(engine, 1, model.Config.ContextLength, prefillChunk: prefillChunk);
        int v = model.Config.VocabSize;
        var prompt = new List<int> { 1, 5, 9, 2, 7, 7, 3, 0, 22, 4, 11 };
        var tokens = new List<int>(prompt);
        var logits = new float[v];
        session.Prefill(0, prompt.ToArray(), logits);
        for (int step = 0; step < 20; step++)
        {
            var want = TinyModels.LastLogits(model, tokens);
            Assert.True(TinyModels.MaxAbsDiff(want, logits) <= 1e-4f, $"{family} step {step}: logits differ by {TinyModels.MaxAbsDiff(want, logits)}");
            int next = TinyModels.ArgMax(want);
            Assert.Equal(next, TinyModels.ArgMax(logits));
            tokens.Add(next);
            session.Step([0], [next], logits);
        }
        Assert.Equal(prompt.Count + 20, session.Length(0));
    }

    [Theory]
    [InlineData("llama")]
    [InlineData("gpt2")]
    public void Sequences_decoded_together_get_the_bits_they_get_alone(string family)
    {
        var engine = InferenceModel.FromModel(TinyModels.Model(family, seed: 2));
        int v = engine.Config.VocabSize;
        int[][] prompts = [[1, 2, 3], [4, 5, 6, 7, 8, 9, 10, 11, 12, 13], [22]];
        var together = new InferenceSession(engine, 3, 30);
        var logits = new float[3 * v];
        for (int s = 0; s < 3; s++) together.Prefill(s, prompts[s], logits.AsSpan(s * v, v));
        int[] next = [3, 4, 5];
        for (int step = 0; step < 5; step++) together.Step([0, 1, 2], next, logits);
        for (int s = 0; s < 3; s++)
        {
            var alone = new InferenceSession(engine, 1, 30);
            var one = new float[v];
            alone.Prefill(0, prompts[s], one);
            for (int step = 0; step < 5; step++) alone.Step([0], [next[s]], one);
            Assert.Equal(one, logits.AsSpan(s * v, v).ToArray());
        }
    }

    [Theory]
    [InlineData("llama", WeightFormat.Bf16)]
    [InlineData("qwen2", WeightFormat.F16)]
    [InlineData("gpt2", WeightFormat.F16)]
    [InlineData("niels", WeightFormat.Bf16)]
    public void Sixteen_bit_weights_give_the_logits_of_their_rounded_values_and_stay_near_f32(string family, WeightFormat format)
    {
        var model = TinyModels.Model(family, seed: 3);
        var exact = InferenceModel.FromModel(model);
        var half = InferenceModel.FromModel(model, format);
        // The same weights rounded to 16 bits, kept as float32: the kernels must only widen, never round.
        var rounded = model.Weights.ToArray();
        var bits = new ushort[rounded.Length];
        HalfBits.Narrow(rounded, bits, format);
        HalfBits.Widen(bits, rounded, format);
        foreach (var t in model.Layout.Tensors)
            if (t.Shape.Length == 1) model.Weights.Slice(t.Offset, t.Length).CopyTo(rounded.AsSpan(t.Offset));
        var widened = new InferenceModel(model.Layout, rounded, WeightFormat.F32);
        int[] prompt = [3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, 8];
        float[] Run(InferenceModel m)
        {
            var s = new InferenceSession(m, 1, 30);
            var l = new float[m.Config.VocabSize];
            s.Prefill(0, prompt, l);
            s.Step([0], [7], l);
            return l;
        }
        var f32 = Run(exact);
        var h = Run(half);
        Assert.True(TinyModels.MaxAbsDiff(Run(widened), h) <= 1e-4f);
        float scale = f32.Max(Math.Abs);
        float tol = format == WeightFormat.Bf16 ? 0.05f : 0.01f; // stated in docs/inference.md: relative to the largest |logit|
        Assert.True(TinyModels.MaxAbsDiff(f32, h) <= tol * scale, $"{format}: {TinyModels.MaxAbsDiff(f32, h)} vs scale {scale}");
    }

    [Fact]
    public void Overflowing_the_context_is_a_clear_error_and_sampling_stops_at_it()
    {
        var engine = InferenceModel.FromModel(TinyModels.Model("niels"));
        var session = new InferenceSession(engine, 1, 6);
        var logits = new float[engine.Config.VocabSize];
        var e = Assert.Throws<DlmException>(() => session.Prefill(0, [1, 2, 3, 4, 5, 6, 7], logits));
        Assert.Contains("do not fit the context of 6", e.Message, StringComparison.Ordinal);
        session.Prefill(0, [1, 2, 3, 4, 5, 6], logits);
        Assert.Throws<DlmException>(() => session.Step([0], [1], logits));
        Assert.Throws<DlmException>(() => new InferenceSession(engine, 1, engine.Config.ContextLength + 1));

        var r = Generator.Sample(new InferenceSession(engine, 2, 8), [1, 2, 3], 2, new SamplingParams { MaxTokens = 50, Seed = 1 });
        Assert.All(r.Sequences, s =>
        {
            Assert.Equal(StopReason.Length, s.StopReason);
            Assert.Equal(6, s.Tokens.Length); // 3 prompt tokens + 5 fed + the last one drawn = a full context of 8 and one token
        });
    }

    [Fact]
    public void A_seed_gives_the_same_samples_on_any_thread_count()
    {
        var engine = InferenceModel.FromModel(TinyModels.Model("qwen2", seed: 4));
        var p = new SamplingParams { Temperature = 1f, TopK = 10, TopP = 0.9f, MaxTokens = 15, Seed = 42 };
        int[] prompt = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12];
        SampleResponse Run(int threads)
        {
            using var pool = new WorkerPool(threads);
            return Generator.Sample(new InferenceSession(engine, 4, 40, pool), prompt, 4, p);
        }
        var one = Run(1);
        var three = Run(3);
        for (int s = 0; s < 4; s++)
        {
            Assert.Equal(one.Sequences[s].Tokens, three.Sequences[s].Tokens);
            Assert.Equal(one.Sequences[s].Logprobs, three.Sequences[s].Logprobs);
        }
        Assert.NotEqual(one.Sequences[0].Tokens, one.Sequences[1].Tokens); // each sample draws from its own stream
    }
}
