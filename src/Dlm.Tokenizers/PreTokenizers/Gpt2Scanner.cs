namespace Dlm.Tokenizers.PreTokenizers;

/// <summary>
/// A hand-written matcher equal to the GPT-2 split regex (also the one ByteLevel uses with
/// <c>use_regex</c>): <code>'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+</code>
/// read by code point, with the regex engine's backtracking resolved in closed form.
/// </summary>
internal sealed class Gpt2Scanner : Pattern
{
    public const string Regex = @"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+";

    public override void FindMatches(ReadOnlySpan<char> text, List<TextRange> matches)
    {
        for (int i = 0; i < text.Length;)
        {
            int end = MatchAt(text, i);
            matches.Add(new TextRange(i, end));
            i = end;
        }
    }

    public static int MatchAt(ReadOnlySpan<char> s, int i)
    {
        int n = s.Length;
        char c = s[i];
        if (c == '\'' && i + 1 < n)
        {
            char a = s[i + 1];
            if (a is 's' or 't' or 'm' or 'd') return i + 2;
            if (i + 2 < n)
            {
                char b = s[i + 2];
                if ((a == 'r' && b == 'e') || (a == 'v' && b == 'e') || (a == 'l' && b == 'l')) return i + 3;
            }
        }
        int p = c == ' ' ? i + 1 : i;
        if (p < n)
        {
            byte cls = CharClass.At(s, p, out int w);
            if (cls is CharClass.Letter or CharClass.Number or CharClass.Other)
            {
                int j = p + w;
                while (j < n && CharClass.At(s, j, out int w2) == cls) j += w2;
                return j;
            }
        }
        int end = i;
        while (end < n && CharClass.At(s, end, out _) is CharClass.Space or CharClass.Newline) end++;
        if (end == n) return end;
        if (end - 1 > i) return end - 1;
        return end;
    }
}
