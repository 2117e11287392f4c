namespace Dlm.Models.Generation;

/// <summary>
/// One sample (tinker <c>SampledSequence</c>): the new tokens (a stop token, or the token that
/// completed a stop string, is the last one), the model's log-probability of each, and why it ended.
/// </summary>
/// <param name="Tokens">The sampled tokens, the prompt excluded.</param>
/// <param name="Logprobs">log p(token | everything before it) under the model itself: the raw logits'
/// log-softmax, before penalty, temperature and truncation, so they equal what
/// <see cref="SamplingClient.ComputeLogprobsAsync"/> gives for the same tokens.</param>
/// <param name="StopReason">Why sampling stopped.</param>
public sealed record SampledSequence(int[] Tokens, float[] Logprobs, StopReason StopReason);

/// <summary>The samples of one prompt (tinker <c>SampleResponse</c>).</summary>
/// <param name="Sequences">One entry per requested sample, in order.</param>
public sealed record SampleResponse(IReadOnlyList<SampledSequence> Sequences);

/// <summary>Turns token ids into text, for stop strings (the tokenizer's decode; dlm.Models knows no tokenizer).</summary>
/// <param name="tokens">Ids to decode.</param>
public delegate string TokenTextDecoder(ReadOnlySpan<int> tokens);
