using Dlm.Tokenizers.Normalizers;
using Dlm.Tokenizers.Pipeline;

namespace Dlm.Tokenizers.SentencePiece;

/// <summary>
/// SentencePiece's <c>Normalizer::Normalize</c>: user-defined symbols pass through untouched, the
/// rest is rewritten by the longest matching charsmap rule; leading, trailing and repeated spaces
/// go (<c>remove_extra_whitespaces</c>), a space is prepended (<c>add_dummy_prefix</c>) and every
/// space becomes U+2581 (<c>escape_whitespaces</c>). The whole text is normalized at once, so
/// spaces around user-defined symbols follow the same rules as anywhere else.
/// </summary>
internal sealed class SentencePieceNormalizer
{
    public const char SpaceSymbol = '\u2581';
    private readonly PrecompiledCharsMap? map;
    private readonly bool addDummyPrefix, removeExtraWhitespaces, escapeWhitespaces;
    private readonly string[] userDefined; // longest first
    private readonly bool[] userDefinedFirst = new bool[65536];
    // Chars that normalize to themselves whatever follows: no user-defined symbol or rule starts there, not a surrogate.
    private readonly bool[] plain = new bool[65536];
    private readonly string space;

    public SentencePieceNormalizer(PrecompiledCharsMap? map, bool addDummyPrefix, bool removeExtraWhitespaces,
        bool escapeWhitespaces, IEnumerable<string> userDefinedSymbols)
    {
        this.map = map;
        this.addDummyPrefix = addDummyPrefix;
        this.removeExtraWhitespaces = removeExtraWhitespaces;
        this.escapeWhitespaces = escapeWhitespaces;
        userDefined = [.. userDefinedSymbols.Where(s => s.Length > 0).OrderByDescending(s => s.Length)];
        foreach (var s in userDefined) userDefinedFirst[s[0]] = true;
        space = escapeWhitespaces ? SpaceSymbol.ToString() : " ";
        for (int c = 0; c < plain.Length; c++)
            plain[c] = !userDefinedFirst[c] && !char.IsSurrogate((char)c) && (map is null || !map.MayStartWith((char)c));
    }

    /// <summary>The normalized text of <paramref name="input"/>, written into <paramref name="output"/> (cleared first).</summary>
    public void Normalize(ReadOnlySpan<char> input, CharBuffer output)
    {
        output.Clear();
        output.Ensure(input.Length + 1);
        int i = 0;
        if (removeExtraWhitespaces)
        {
            while (i < input.Length)
            {
                int consumed = Prefix(input, i, out var piece);
                if (!(piece.Length == 1 && piece[0] == ' ')) break;
                i += consumed;
            }
        }
        if (i >= input.Length) return;
        if (addDummyPrefix) output.Append(space);
        bool prevSpace = removeExtraWhitespaces;
        while (i < input.Length)
        {
            char first = input[i];
            if (plain[first])
            {
                if (first == ' ')
                {
                    if (!prevSpace) output.Append(escapeWhitespaces ? SpaceSymbol : ' ');
                    prevSpace = removeExtraWhitespaces;
                    i++;
                    continue;
                }
                // A run of plain chars other than space is copied as is.
                int j = i + 1;
                while (j < input.Length && input[j] != ' ' && plain[input[j]]) j++;
                output.Append(input[i..j]);
                prevSpace = false;
                i = j;
                continue;
            }
            int consumed = Prefix(input, i, out var piece);
            if (prevSpace)
                while (!piece.IsEmpty && piece[0] == ' ') piece = piece[1..];
            if (!piece.IsEmpty)
            {
                foreach (char c in piece) output.Append(c == ' ' && escapeWhitespaces ? SpaceSymbol : c);
                prevSpace = piece[^1] == ' ';
            }
            i += consumed;
            if (!removeExtraWhitespaces) prevSpace = false;
        }
        if (removeExtraWhitespaces)
        {
            char last = escapeWhitespaces ? SpaceSymbol : ' ';
            while (output.Length > 0 && output.Data[output.Length - 1] == last) output.Length--;
        }
    }

    /// <summary>
    /// <c>NormalizePrefix</c>: the normalized form of the text at <paramref name="i"/> and how many
    /// chars it consumes — a user-defined symbol as itself, else the longest charsmap rule, else one char.
    /// </summary>
    private int Prefix(ReadOnlySpan<char> input, int i, out ReadOnlySpan<char> piece)
    {
        char c = input[i];
        if (userDefinedFirst[c])
        {
            var rest = input[i..];
            foreach (var s in userDefined)
                if (rest.StartsWith(s, StringComparison.Ordinal))
                {
                    piece = rest[..s.Length];
                    return s.Length;
                }
        }
        if (map is not null && map.MayStartWith(c))
        {
            int len = map.LongestMatch(input[i..], out var replacement);
            if (len > 0)
            {
                piece = replacement;
                return len;
            }
        }
        if (char.IsHighSurrogate(c) && i + 1 < input.Length && char.IsLowSurrogate(input[i + 1]))
        {
            piece = input.Slice(i, 2);
            return 2;
        }
        // A lone surrogate is malformed text; SentencePiece turns malformed UTF-8 into U+FFFD, one unit at a time.
        piece = char.IsSurrogate(c) ? "\uFFFD" : input.Slice(i, 1);
        return 1;
    }
}
