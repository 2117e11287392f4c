using Dlm.Core;

namespace Dlm.Models.Generation;

/// <summary>
/// How to sample (tinker <c>SamplingParams</c>, REFERENCE.md R3, plus the common extras):
/// temperature 1, top-k −1 (off) and top-p 1 (off) by default. Processing order, as Hugging Face
/// applies it: repetition penalty, banned ids, temperature (0 means greedy: the first
/// most-likely token), top-k, top-p, min-p, then one draw.
/// </summary>
public sealed record SamplingParams
{
    /// <summary>Most new tokens per sample.</summary>
    public int MaxTokens { get; init; } = 128;

    /// <summary>Softmax temperature; 0 is greedy decoding.</summary>
    public float Temperature { get; init; } = 1f;

    /// <summary>Keep only the k most likely tokens; −1 or 0 keeps all.</summary>
    public int TopK { get; init; } = -1;

    /// <summary>Keep the smallest set of most likely tokens whose probability reaches top_p; 1 keeps all.</summary>
    public float TopP { get; init; } = 1f;

    /// <summary>Drop tokens less likely than min_p times the most likely one; 0 keeps all.</summary>
    public float MinP { get; init; }

    /// <summary>
    /// Hugging Face's repetition penalty over every token already in the sequence (prompt included):
    /// a positive logit is divided by it, a negative one multiplied; 1 is off.
    /// </summary>
    public float RepetitionPenalty { get; init; } = 1f;

    /// <summary>Token ids never sampled.</summary>
    public IReadOnlyList<int> BannedTokens { get; init; } = [];

    /// <summary>Stop after any of these strings appears in the decoded sample (it may span tokens; needs a text decoder).</summary>
    public IReadOnlyList<string> StopStrings { get; init; } = [];

    /// <summary>Stop after any of these token ids is sampled (the id is kept as the last token).</summary>
    public IReadOnlyList<int> StopTokens { get; init; } = [];

    /// <summary>Seed of the draws; the same seed gives the same samples on any thread count. Null: a fresh random seed.</summary>
    public long? Seed { get; init; }

    /// <summary>Throws a <see cref="UsageException"/> naming the first value out of range.</summary>
    public SamplingParams Validate()
    {
        static void Require(bool ok, string what)
        {
            if (!ok) throw new UsageException($"sampling: {what}");
        }
        Require(MaxTokens >= 1, $"max_tokens must be at least 1, not {MaxTokens}");
        Require(float.IsFinite(Temperature) && Temperature >= 0, $"temperature must be 0 or more, not {Temperature}");
        Require(TopP is > 0f and <= 1f, $"top_p must lie in (0, 1], not {TopP}");
        Require(MinP is >= 0f and <= 1f, $"min_p must lie in [0, 1], not {MinP}");
        Require(float.IsFinite(RepetitionPenalty) && RepetitionPenalty > 0, $"repetition_penalty must be positive, not {RepetitionPenalty}");
        Require(StopStrings.All(s => !string.IsNullOrEmpty(s)), "a stop string must not be empty");
        return this;
    }
}
