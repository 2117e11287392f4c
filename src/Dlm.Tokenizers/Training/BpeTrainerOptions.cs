namespace Dlm.Tokenizers.Training;

/// <summary>What <see cref="BpeTrainer"/> trains: the vocabulary size, special tokens, pre-tokenizer.</summary>
public sealed record BpeTrainerOptions
{
    /// <summary>
    /// Total number of ids, special tokens and the 256 byte tokens included. Training stops when
    /// the vocabulary has this many tokens, or earlier when no pair is left to merge.
    /// </summary>
    public required int VocabSize { get; init; }

    /// <summary>Special tokens, given ids 0..k-1 in this order. Never merged, never split.</summary>
    public IReadOnlyList<string> SpecialTokens { get; init; } = [];

    /// <summary>
    /// Pre-tokenization regex (a <c>Split</c> with behaviour <c>Isolated</c> in tokenizer.json);
    /// null means <see cref="Gpt2Pattern"/>.
    /// </summary>
    public string? Pattern { get; init; }

    /// <summary>A pair seen fewer times than this is never merged (0 or 1: any pair seen at all).</summary>
    public long MinFrequency { get; init; }

    /// <summary>
    /// Threads that count words while files are read; 0 means one per processor. Changes the
    /// speed only: the result is the same for any value.
    /// </summary>
    public int Threads { get; init; }

    /// <summary>The GPT-2 pre-tokenization pattern, the default.</summary>
    public const string Gpt2Pattern = Gpt2PreTokenizer.Pattern;
}
