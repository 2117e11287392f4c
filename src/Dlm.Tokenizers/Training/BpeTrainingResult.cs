using Dlm.Core;

namespace Dlm.Tokenizers.Training;

/// <summary>
/// A trained byte-level BPE: the vocabulary (id → token string, byte-level characters for
/// ordinary tokens), the merges in rank order, the special tokens and the pre-tokenization
/// pattern. Usable in memory, or written as a Hugging Face <c>tokenizer.json</c>.
/// </summary>
public sealed class BpeTrainingResult
{
    private readonly Dictionary<string, int> _ids;

    internal BpeTrainingResult(IReadOnlyList<string> vocab, IReadOnlyList<BpeMerge> merges,
        IReadOnlyList<string> specialTokens, string pattern)
    {
        Vocab = vocab;
        Merges = merges;
        SpecialTokens = [.. specialTokens];
        Pattern = pattern;
        _ids = new Dictionary<string, int>(vocab.Count, StringComparer.Ordinal);
        for (int i = 0; i < vocab.Count; i++) _ids[vocab[i]] = i;
    }

    /// <summary>Token strings by id. Special tokens come first (ids 0..k-1), then the 256 byte tokens.</summary>
    public IReadOnlyList<string> Vocab { get; }

    /// <summary>The merges, in the order they were learned (lower index = applied first).</summary>
    public IReadOnlyList<BpeMerge> Merges { get; }

    /// <summary>The special tokens, in id order (ids 0..k-1).</summary>
    public IReadOnlyList<string> SpecialTokens { get; }

    /// <summary>The pre-tokenization regex.</summary>
    public string Pattern { get; }

    /// <summary>Number of ids.</summary>
    public int VocabSize => Vocab.Count;

    /// <summary>The id of a token string (byte-level characters, or a special token), or null.</summary>
    public int? TokenToId(string token) => _ids.TryGetValue(token, out int id) ? id : null;

    /// <summary>The Hugging Face <c>tokenizer.json</c> text (byte-identical for the same result).</summary>
    public string ToTokenizerJson() => TokenizerJsonWriter.TokenizerJson(this);

    /// <summary>
    /// The <c>tokenizer_config.json</c> text: the special tokens as added tokens and, when given,
    /// which of them are BOS, EOS and padding (each must be one of the special tokens).
    /// </summary>
    public string ToTokenizerConfigJson(string? bosToken = null, string? eosToken = null, string? padToken = null)
    {
        foreach (var (role, t) in new[] { ("bos", bosToken), ("eos", eosToken), ("pad", padToken) })
            if (t is not null && !SpecialTokens.Contains(t))
                throw new DlmException($"{role} token '{t}' is not one of the special tokens ({string.Join(' ', SpecialTokens)})");
        return TokenizerJsonWriter.TokenizerConfigJson(this, bosToken, eosToken, padToken);
    }

    /// <summary>
    /// Writes <c>tokenizer.json</c> and <c>tokenizer_config.json</c> into <paramref name="directory"/>
    /// (created if needed), each atomically. Returns the path of tokenizer.json.
    /// </summary>
    public string Save(string directory, string? bosToken = null, string? eosToken = null, string? padToken = null)
    {
        ArgumentNullException.ThrowIfNull(directory);
        var config = ToTokenizerConfigJson(bosToken, eosToken, padToken);
        var path = Path.Combine(directory, "tokenizer.json");
        try
        {
            Directory.CreateDirectory(directory);
            AtomicFile.WriteAllText(path, ToTokenizerJson());
            AtomicFile.WriteAllText(Path.Combine(directory, "tokenizer_config.json"), config);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new DlmException($"cannot write to {directory}: {e.Message}", e);
        }
        return path;
    }
}
