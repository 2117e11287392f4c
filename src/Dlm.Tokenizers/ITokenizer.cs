namespace Dlm.Tokenizers;

/// <summary>
/// What the rest of dlm needs from a tokenizer: text to ids and back, token lookups, and the
/// special tokens and chat template that <c>tokenizer_config.json</c> supplies.
/// Implemented by <see cref="Tokenizer"/> (a Hugging Face <c>tokenizer.json</c> or a SentencePiece model).
/// </summary>
public interface ITokenizer
{
    /// <summary>Number of ids, added tokens included (one more than the largest id).</summary>
    int VocabSize { get; }

    /// <summary>
    /// Encodes text. Added tokens (special or not) that appear literally in the text are
    /// matched as themselves, as Hugging Face tokenizers do. With
    /// <paramref name="addSpecialTokens"/> the post-processor adds its tokens (e.g. BOS).
    /// </summary>
    int[] Encode(string text, bool addSpecialTokens = false);

    /// <summary>Decodes ids to text; <paramref name="skipSpecialTokens"/> drops special added tokens.</summary>
    string Decode(ReadOnlySpan<int> ids, bool skipSpecialTokens = false);

    /// <summary>The id of a token given by its exact vocabulary string, or null if absent.</summary>
    int? TokenToId(string token);

    /// <summary>The vocabulary string of an id, or null if the id is out of range.</summary>
    string? IdToToken(int id);

    /// <summary>The beginning-of-sequence token from <c>tokenizer_config.json</c>, if any.</summary>
    string? BosToken { get; }

    /// <summary>The end-of-sequence token from <c>tokenizer_config.json</c>, if any.</summary>
    string? EosToken { get; }

    /// <summary>The Jinja chat template text from <c>tokenizer_config.json</c>, if any.</summary>
    string? ChatTemplate { get; }
}
