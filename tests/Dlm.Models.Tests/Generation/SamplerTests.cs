using Dlm.Core;
using Dlm.Models.Generation;

namespace Dlm.Models.Tests.Generation;

/// <summary>Each sampling option on hand-made logits, and stops on a tiny model.</summary>
public sealed class SamplerTests
{
    private static readonly float[] Logits = [0.5f, 2.0f, 1.9f, -1f, 0.1f, 1.0f];

    private static int[] Draws(SamplingParams p, int count, float[]? logits = null, int[]? seen = null)
    {
        var s = new Sampler(p, 6, 123);
        if (seen is not null) s.Observe(seen);
        return Enumerable.Range(0, count).Select(_ => s.Next(logits ?? Logits)).ToArray();
    }

    [Fact]
    public void Temperature_zero_is_greedy_and_bans_and_penalties_apply_first()
    {
        Assert.All(Draws(new SamplingParams { Temperature = 0 }, 5), t => Assert.Equal(1, t));
        Assert.Equal(2, Draws(new SamplingParams { Temperature = 0, BannedTokens = [1] }, 1)[0]);
        // Token 1 seen: 2.0 / 1.1 = 1.82 < 1.9, so token 2 wins.
        var s = new Sampler(new SamplingParams { Temperature = 0, RepetitionPenalty = 1.1f }, 6, 1);
        s.Observe([1]);
        Assert.Equal(2, s.Next(Logits));
        // A negative logit is multiplied by the penalty (further down), not divided.
        var neg = new Sampler(new SamplingParams { Temperature = 0, RepetitionPenalty = 2f, BannedTokens = [0, 1, 2, 4, 5] }, 6, 1);
        neg.Observe([3]);
        Assert.Equal(3, neg.Next(Logits)); // the only token left
    }

    [Fact]
    public void Top_k_top_p_and_min_p_keep_only_their_tokens()
    {
        Assert.All(Draws(new SamplingParams { TopK = 1 }, 50), t => Assert.Equal(1, t));
        Assert.All(Draws(new SamplingParams { TopK = 2 }, 200), t => Assert.Contains(t, new[] { 1, 2 }));
        // softmax(Logits): p1 = .37, p2 = .34, p5 = .14, ... top_p 0.5 keeps 1 and 2 (mass above token 2 is .37 < .5).
        var topP = Draws(new SamplingParams { TopP = 0.5f }, 300);
        Assert.All(topP, t => Assert.Contains(t, new[] { 1, 2 }));
        Assert.Contains(2, topP);
        Assert.All(Draws(new SamplingParams { TopP = 0.2f }, 50), t => Assert.Equal(1, t));
        // min_p 0.3: keep p >= 0.3·p1 = .11: tokens 1, 2, 5.
        var minP = Draws(new SamplingParams { MinP = 0.3f }, 500);
        Assert.All(minP, t => Assert.Contains(t, new[] { 1, 2, 5 }));
        Assert.Contains(5, minP);
    }

    [Theory]
    [InlineData(7, 0.9f, 0)]
    [InlineData(40, 0.5f, 1)]
    [InlineData(3000, 0.95f, 2)]
    [InlineData(3000, 0.3f, 3)]
    [InlineData(500, 1f, 4)]
    public void The_nucleus_by_selection_is_the_sorted_prefix_with_ties_by_id(int n, float topP, int seed)
    {
        var rng = new Random(seed);
        // Probabilities from a few levels, so many tie (the boundary often falls inside a tie), plus a flat tail.
        var p = new float[n];
        for (int i = 0; i < n; i++) p[i] = rng.Next(4) == 0 ? (float)rng.NextDouble() : 0.25f * (1 + rng.Next(3));
        float total = p.Sum();
        for (int i = 0; i < n; i++) p[i] /= total;
        var ids = Enumerable.Range(0, n).ToArray();
        int keep = Sampler.NucleusSize(p, ids, topP);

        // Reference: sort by probability descending, then id; keep rank r while the mass above it is below topP.
        var order = Enumerable.Range(0, n).OrderByDescending(i => p[i]).ThenBy(i => i).ToArray();
        double above = 0;
        int expected = 0;
        for (; expected < n; expected++)
        {
            if (expected > 0 && above >= topP) break;
            above += p[order[expected]];
        }
        Assert.Equal(expected, keep);
        Assert.Equal(order.Take(expected).Order(), ids.Take(keep).Order());
    }

    [Fact]
    public void Draws_follow_the_tempered_softmax()
    {
        const int n = 40000;
        var counts = new int[6];
        foreach (int t in Draws(new SamplingParams { Temperature = 2f }, n)) counts[t]++;
        var w = Logits.Select(l => Math.Exp(l / 2)).ToArray();
        double z = w.Sum();
        for (int i = 0; i < 6; i++)
        {
            double p = w[i] / z, sd = Math.Sqrt(p * (1 - p) / n);
            Assert.True(Math.Abs(counts[i] / (double)n - p) < 5 * sd, $"token {i}: {counts[i] / (double)n} vs {p}");
        }
    }

    [Fact]
    public void Stop_tokens_stop_strings_across_tokens_and_max_tokens_end_samples()
    {
        var engine = InferenceModel.FromModel(TinyModels.Model("llama", seed: 7));
        int[] prompt = [1, 2, 3];
        var session = new InferenceSession(engine, 2, 40);
        var greedy = Generator.Sample(session, prompt, 1, new SamplingParams { Temperature = 0, MaxTokens = 12 }).Sequences[0];
        Assert.Equal(StopReason.Length, greedy.StopReason);
        Assert.Equal(12, greedy.Tokens.Length);

        // Stop on the 4th greedy token's id: the sample ends with it (its first occurrence).
        int stopId = greedy.Tokens[3];
        int first = Array.IndexOf(greedy.Tokens, stopId);
        var byToken = Generator.Sample(session, prompt, 1, new SamplingParams { Temperature = 0, MaxTokens = 12, StopTokens = [stopId] }).Sequences[0];
        Assert.Equal(StopReason.Stop, byToken.StopReason);
        Assert.Equal(greedy.Tokens[..(first + 1)], byToken.Tokens);

        // Token t decodes to "<t>"; a stop string made of the end of token 5's text and the start of token 6's.
        static string Decode(ReadOnlySpan<int> ids)
        {
            var sb = new System.Text.StringBuilder();
            foreach (int id in ids) sb.Append('<').Append(id).Append('>');
            return sb.ToString();
        }
        string stop = $"{greedy.Tokens[5]}><{greedy.Tokens[6]}";
        string full = Decode(greedy.Tokens);
        int cutToken = Enumerable.Range(1, 12).First(k => Decode(greedy.Tokens.AsSpan(0, k)).Contains(stop, StringComparison.Ordinal));
        var byString = Generator.Sample(session, prompt, 1, new SamplingParams { Temperature = 0, MaxTokens = 12, StopStrings = [stop] }, Decode).Sequences[0];
        Assert.Equal(StopReason.Stop, byString.StopReason);
        Assert.Equal(greedy.Tokens[..cutToken], byString.Tokens);
        Assert.Equal(full[..full.IndexOf(stop, StringComparison.Ordinal)], Generator.TrimAtStop(Decode(byString.Tokens), [stop]));

        Assert.Throws<DlmException>(() => Generator.Sample(session, prompt, 1, new SamplingParams { StopStrings = ["x"] }));
        Assert.Throws<UsageException>(() => Generator.Sample(session, prompt, 1, new SamplingParams { TopP = 0 }));
    }
}
