namespace Dlm.Tokenizers.PreTokenizers;

/// <summary>
/// A hand-written matcher equal to the Llama 3 (tiktoken cl100k) split regex, and to the Qwen2/3
/// one, which differs only in taking digits one at a time:
/// <code>(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+</code>
/// Each alternative is tried in order at each position with the backtracking the regex engine
/// would do, resolved in closed form. Every position starts some alternative, so matches tile the text.
/// </summary>
internal sealed class Llama3Scanner(int maxDigits) : Pattern
{
    public const string RegexLlama3 =
        @"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";

    public const string RegexQwen2 =
        @"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";

    public int MaxDigits => maxDigits;

    public override void FindMatches(ReadOnlySpan<char> text, List<TextRange> matches)
    {
        for (int i = 0; i < text.Length;)
        {
            int end = MatchAt(text, i);
            matches.Add(new TextRange(i, end));
            i = end;
        }
    }

    /// <summary>Case-insensitive ASCII letter test, with U+017F (long s) folding to s as Oniguruma folds it.</summary>
    private static char Fold(char c) => c == '\u017F' ? 's' : c is >= 'A' and <= 'Z' ? (char)(c | 0x20) : c;

    /// <summary>The end of the match that starts at <paramref name="i"/>.</summary>
    public int MatchAt(ReadOnlySpan<char> s, int i)
    {
        int n = s.Length;
        char c = s[i];
        // (?i:'s|'t|'re|'ve|'m|'ll|'d)
        if (c == '\'' && i + 1 < n)
        {
            char a = Fold(s[i + 1]);
            if (a is 's' or 't' or 'm' or 'd') return i + 2;
            if (i + 2 < n)
            {
                char b = Fold(s[i + 2]);
                if ((a == 'r' && b == 'e') || (a == 'v' && b == 'e') || (a == 'l' && b == 'l')) return i + 3;
            }
        }
        byte cls = CharClass.At(s, i, out int w);
        // [^\r\n\p{L}\p{N}]?\p{L}+
        if (cls == CharClass.Letter) return Letters(s, i + w);
        if (cls is CharClass.Other or CharClass.Space && i + w < n && CharClass.At(s, i + w, out int w2) == CharClass.Letter)
            return Letters(s, i + w + w2);
        // \p{N}{1,3}
        if (cls == CharClass.Number)
        {
            int j = i + w;
            for (int k = 1; k < maxDigits && j < n; k++)
            {
                if (CharClass.At(s, j, out int wd) != CharClass.Number) break;
                j += wd;
            }
            return j;
        }
        //  ?[^\s\p{L}\p{N}]+[\r\n]*
        int p = c == ' ' ? i + 1 : i;
        if (p < n && CharClass.At(s, p, out int wp) == CharClass.Other)
        {
            int j = p + wp;
            while (j < n && CharClass.At(s, j, out int wo) == CharClass.Other) j += wo;
            while (j < n && s[j] is '\r' or '\n') j++;
            return j;
        }
        // Whitespace alternatives; whitespace is all BMP, one unit per char.
        int end = i;
        int lastNewline = -1;
        while (end < n && CharClass.At(s, end, out _) is CharClass.Space or CharClass.Newline)
        {
            if (s[end] is '\r' or '\n') lastNewline = end;
            end++;
        }
        // \s*[\r\n]+ : backtracks to the last newline of the run.
        if (lastNewline >= 0) return lastNewline + 1;
        // \s+(?!\S) : all of it at the end of text, else all but the last char.
        if (end == n) return end;
        if (end - 1 > i) return end - 1;
        // \s+
        return end;
    }

    private static int Letters(ReadOnlySpan<char> s, int j)
    {
        while (j < s.Length && CharClass.At(s, j, out int w) == CharClass.Letter) j += w;
        return j;
    }
}
