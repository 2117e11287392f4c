using Dlm.Core;

namespace Dlm.Models.Generation;

// Attention traces (niels-gpt's "what did the model look at"): the last layer's attention
// probabilities of one query position over its context, read back from the pass that computed them.
public sealed partial class InferenceSession
{
    /// <summary>
    /// Forgets <paramref name="sequence"/>, prefills <paramref name="tokens"/> into it and writes the
    /// last layer's attention probabilities of the last token over all of them (itself included) to
    /// <paramref name="attention"/>, one row of <c>tokens.Length</c> per query head ([heads, tokens]).
    /// That is what the model attended to at the step that sampled the token after
    /// <paramref name="tokens"/>. The sequence holds the tokens afterwards.
    /// </summary>
    public void PrefillAttention(int sequence, ReadOnlySpan<int> tokens, Span<float> attention)
    {
        int len = tokens.Length, heads = _c.Heads;
        if (attention.Length < heads * len) throw new ArgumentException("attention needs heads x tokens entries", nameof(attention));
        if (len > Capacity) throw new DlmException($"{len} tokens do not fit the context of {Capacity} tokens");
        Reset(sequence);
        Prefill(sequence, tokens, new float[_c.VocabSize]);
        // The last chunk's block attention left the last layer's probabilities in _att: query row
        // (n - 1) of head h holds the last token's weights over positions 0 .. len - 1.
        int n = (len - 1) % _maxRows + 1;
        for (int h = 0; h < heads; h++)
            _att.AsSpan(h * _maxRows * Capacity + (n - 1) * len, len).CopyTo(attention.Slice(h * len, len));
    }

    /// <summary>
    /// One decode step for a single sequence (<see cref="Step"/>) that also writes the last layer's
    /// attention probabilities of the new token over the sequence ([heads, length after the step])
    /// to <paramref name="attention"/>; the decode path's own kernels, so it checks <see cref="PrefillAttention"/>.
    /// </summary>
    public void StepAttention(int sequence, int token, Span<float> logits, Span<float> attention)
    {
        int len = Length(sequence) + 1, heads = _c.Heads;
        if (attention.Length < heads * len) throw new ArgumentException("attention needs heads x tokens entries", nameof(attention));
        Step([sequence], [token], logits);
        // Row attention of row 0: unit g (its kv group) holds the group's query heads, Capacity apart.
        for (int h = 0; h < heads; h++)
        {
            int g = h / _group, j = h % _group;
            _att.AsSpan((g * _group + j) * Capacity, len).CopyTo(attention.Slice(h * len, len));
        }
    }
}
