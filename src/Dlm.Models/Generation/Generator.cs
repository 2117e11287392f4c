using Dlm.Core;
using Dlm.Numerics.Threading;

namespace Dlm.Models.Generation;

/// <summary>One token as it is produced: which sample, the token, its logprob.</summary>
/// <param name="Sample">Index of the sample (0 .. numSamples−1).</param>
/// <param name="Token">The token id.</param>
/// <param name="Logprob">The model's log-probability of it.</param>
public readonly record struct GeneratedToken(int Sample, int Token, float Logprob);

/// <summary>
/// Batched sampling over an <see cref="InferenceSession"/>: the prompt is prefilled once, its
/// cache copied to every sample, the first tokens drawn from the prefill logits, and then every
/// unfinished sample advances together, one <see cref="InferenceSession.Step"/> per token.
/// </summary>
public static class Generator
{
    /// <summary>
    /// Draws <paramref name="numSamples"/> samples continuing <paramref name="prompt"/>. The session
    /// needs at least numSamples sequences; its sequences are reset first. <paramref name="decoder"/>
    /// is required when there are stop strings; <paramref name="onToken"/> sees each token as it comes.
    /// A sample ends at a stop token or string (<c>stop</c>), after max_tokens, or when its sequence
    /// fills the session's capacity (<c>length</c>).
    /// </summary>
    public static SampleResponse Sample(InferenceSession session, ReadOnlySpan<int> prompt, int numSamples, SamplingParams parameters,
        TokenTextDecoder? decoder = null, Action<GeneratedToken>? onToken = null)
    {
        ArgumentNullException.ThrowIfNull(session);
        ArgumentNullException.ThrowIfNull(parameters);
        parameters.Validate();
        if (numSamples < 1) throw new UsageException($"num_samples must be at least 1, not {numSamples}");
        if (numSamples > session.Sequences) throw new DlmException($"{numSamples} samples need a session of as many sequences (it has {session.Sequences})");
        if (parameters.StopStrings.Count > 0 && decoder is null) throw new DlmException("stop strings need a tokenizer to decode the samples");
        if (prompt.IsEmpty) throw new DlmException("a prompt needs at least one token");
        if (prompt.Length >= session.Capacity)
            throw new DlmException($"the prompt of {prompt.Length} tokens leaves no room in the context of {session.Capacity} tokens");
        int v = session.Model.Config.VocabSize;
        long seed = parameters.Seed ?? Random.Shared.NextInt64();
        for (int s = 0; s < session.Sequences; s++) session.Reset(s);

        var logits = new float[numSamples * v];
        session.Prefill(0, prompt, logits.AsSpan(0, v));
        for (int s = 1; s < numSamples; s++)
        {
            session.CopySequence(0, s);
            logits.AsSpan(0, v).CopyTo(logits.AsSpan(s * v, v));
        }
        var samples = new SampleState[numSamples];
        for (int s = 0; s < numSamples; s++)
        {
            samples[s] = new SampleState(new Sampler(parameters, v, Sampler.StreamSeed(seed, s)));
            samples[s].Sampler.Observe(prompt);
        }
        int maxStop = parameters.StopStrings.Count == 0 ? 0 : parameters.StopStrings.Max(x => x.Length);
        var active = new int[numSamples];
        var next = new int[numSamples];
        var chosen = new int[numSamples];
        var chosenLogprob = new float[numSamples];
        int rows = numSamples;
        for (int s = 0; s < numSamples; s++) active[s] = s;
        while (rows > 0)
        {
            // Each sample's draw and logprob (about 0.8 ms over a 49K vocabulary) on the pool, one sample per index: a
            // sampler's state is its own, so the choices are the same on any thread count. Streaming and stops stay in order below.
            var draws = new Draws(samples, active, logits, v, chosen, chosenLogprob);
            if (rows > 1) session.Pool.For(rows, draws);
            else draws.Invoke(0);
            int kept = 0;
            for (int r = 0; r < rows; r++)
            {
                int s = active[r];
                var st = samples[s];
                int token = chosen[r];
                float lp = chosenLogprob[r];
                st.Tokens.Add(token);
                st.Logprobs.Add(lp);
                onToken?.Invoke(new GeneratedToken(s, token, lp));
                if (IsStop(st, token, parameters, decoder, maxStop)) st.Reason = StopReason.Stop;
                else if (st.Tokens.Count >= parameters.MaxTokens || session.Length(s) >= session.Capacity) st.Reason = StopReason.Length;
                else
                {
                    active[kept] = s;
                    next[kept] = token;
                    kept++;
                    continue;
                }
            }
            rows = kept;
            if (rows == 0) break;
            session.Step(active.AsSpan(0, rows), next.AsSpan(0, rows), logits.AsSpan(0, rows * v));
        }
        return new SampleResponse(samples.Select(x => new SampledSequence([.. x.Tokens], [.. x.Logprobs], x.Reason)).ToList());
    }

    // A stop token ends the sample at once; a stop string is looked for in the text decoded so far,
    // only where it could newly end (the last token's text plus the longest stop string before it).
    private static bool IsStop(SampleState st, int token, SamplingParams p, TokenTextDecoder? decoder, int maxStop)
    {
        foreach (int t in p.StopTokens) if (t == token) return true;
        if (maxStop == 0) return false;
        string text = decoder!(st.Tokens.ToArray());
        int from = Math.Max(0, Math.Min(st.CheckedChars, text.Length) - maxStop);
        st.CheckedChars = text.Length;
        foreach (var stop in p.StopStrings)
            if (text.IndexOf(stop, from, StringComparison.Ordinal) >= 0) return true;
        return false;
    }

    /// <summary>The text of a sample cut before the first stop string (the whole text when none occurs).</summary>
    public static string TrimAtStop(string text, IReadOnlyList<string> stopStrings)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(stopStrings);
        int cut = text.Length;
        foreach (var s in stopStrings)
        {
            int at = text.IndexOf(s, StringComparison.Ordinal);
            if (at >= 0 && at < cut) cut = at;
        }
        return text[..cut];
    }

    // Row r of the step's logits: sample active[r] draws its next token (chosen[r]) and its logprob.
    private readonly struct Draws(SampleState[] samples, int[] active, float[] logits, int v, int[] chosen, float[] chosenLogprob) : IParallelBody
    {
        public void Invoke(int r)
        {
            var row = logits.AsSpan(r * v, v);
            int token = samples[active[r]].Sampler.Next(row);
            chosen[r] = token;
            chosenLogprob[r] = Sampler.LogSoftmaxAt(row, token);
        }
    }

    private sealed class SampleState(Sampler sampler)
    {
        public Sampler Sampler { get; } = sampler;
        public List<int> Tokens { get; } = [];
        public List<float> Logprobs { get; } = [];
        public StopReason Reason { get; set; } = StopReason.Length;
        public int CheckedChars { get; set; }
    }
}
