namespace Dlm.Tokenizers.Training;

/// <summary>
/// Finds special tokens in text the way Hugging Face's added vocabulary does (Aho-Corasick,
/// leftmost-longest): scanning left to right, the first position where any special token
/// starts wins, and there the longest one. Used so training never learns merges across the
/// literal text of a special token.
/// </summary>
internal sealed class SpecialTokenSplitter
{
    private readonly string[] _tokens;
    private readonly string _firstChars;

    public SpecialTokenSplitter(IReadOnlyList<string> tokens)
    {
        // Longest first, so the first hit at a position is the longest one.
        _tokens = [.. tokens.OrderByDescending(t => t.Length).ThenBy(t => t, StringComparer.Ordinal)];
        _firstChars = new string([.. _tokens.Select(t => t[0]).Distinct()]);
    }

    /// <summary>
    /// Calls <paramref name="text"/> for each stretch of ordinary text and <paramref name="special"/>
    /// for each special token, in order. Empty stretches are skipped.
    /// </summary>
    public void Split(ReadOnlySpan<char> input, PieceSink text, PieceSink? special = null)
    {
        if (_tokens.Length == 0)
        {
            if (!input.IsEmpty) text(input);
            return;
        }
        int start = 0, i = 0;
        while (i < input.Length)
        {
            int k = input[i..].IndexOfAny(_firstChars);
            if (k < 0) break;
            i += k;
            string? hit = null;
            foreach (var t in _tokens)
                if (input[i..].StartsWith(t, StringComparison.Ordinal)) { hit = t; break; }
            if (hit is null) { i++; continue; }
            if (i > start) text(input[start..i]);
            special?.Invoke(input.Slice(i, hit.Length));
            i += hit.Length;
            start = i;
        }
        if (start < input.Length) text(input[start..]);
    }
}
