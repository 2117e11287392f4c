using Dlm.Tokenizers;

namespace Dlm.Chat;

/// <summary>
/// Turns sampled tokens into text as they arrive, for streaming: each <see cref="Push"/> returns
/// only the new text that is final. Text is held back while it ends in an incomplete UTF-8
/// sequence (the decoder's U+FFFD) or could still be the start of a stop string, and everything
/// from a stop string on is never shown. The whole decode is redone per token (samples are short),
/// so byte-level and SentencePiece decoders are handled the same way.
/// </summary>
public sealed class StreamingText
{
    private readonly ITokenizer _tokenizer;
    private readonly IReadOnlyList<string> _stops;
    private readonly bool _skipSpecial;
    private readonly List<int> _tokens = [];
    private int _emitted;

    /// <summary>A stream decoding with <paramref name="tokenizer"/>, cut at any of <paramref name="stopStrings"/>.</summary>
    /// <param name="tokenizer">The model's tokenizer.</param>
    /// <param name="stopStrings">Strings that end the text (not shown).</param>
    /// <param name="skipSpecialTokens">Leave special tokens (end-of-turn markers) out of the text.</param>
    public StreamingText(ITokenizer tokenizer, IReadOnlyList<string>? stopStrings = null, bool skipSpecialTokens = false)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        _tokenizer = tokenizer;
        _stops = stopStrings ?? [];
        _skipSpecial = skipSpecialTokens;
    }

    /// <summary>True once a stop string has appeared.</summary>
    public bool Stopped { get; private set; }

    /// <summary>The text so far, cut before the first stop string.</summary>
    public string Text { get; private set; } = "";

    /// <summary>Adds a token; returns the text that became final (possibly empty).</summary>
    public string Push(int token)
    {
        _tokens.Add(token);
        if (Stopped) return "";
        var full = _tokenizer.Decode(_tokens.ToArray(), _skipSpecial);
        int cut = full.Length;
        foreach (var s in _stops)
        {
            int at = full.IndexOf(s, StringComparison.Ordinal);
            if (at >= 0 && at < cut) { cut = at; Stopped = true; }
        }
        Text = full[..cut];
        int safe = Stopped ? cut : SafeLength(full);
        if (safe <= _emitted) return "";
        var delta = full[_emitted..safe];
        _emitted = safe;
        return delta;
    }

    /// <summary>Whatever is still held back (call when sampling ended).</summary>
    public string Flush()
    {
        if (_emitted >= Text.Length) return "";
        var rest = Text[_emitted..];
        _emitted = Text.Length;
        return rest;
    }

    private int SafeLength(string full)
    {
        int end = full.Length;
        while (end > _emitted && full[end - 1] == '\uFFFD') end--;
        // Hold back the longest tail that is a proper prefix of some stop string.
        int hold = 0;
        foreach (var s in _stops)
            for (int k = Math.Min(s.Length - 1, end); k > hold; k--)
                if (string.CompareOrdinal(full, end - k, s, 0, k) == 0) { hold = k; break; }
        return Math.Max(_emitted, end - hold);
    }
}
