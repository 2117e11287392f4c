using System.Text.RegularExpressions;

namespace Dlm.Tokenizers.PreTokenizers;

/// <summary>Something that finds delimiters in text: a regex, a literal string, a char class.</summary>
internal abstract class Pattern
{
    /// <summary>Appends the non-overlapping matches in <paramref name="text"/>, left to right.</summary>
    public abstract void FindMatches(ReadOnlySpan<char> text, List<TextRange> matches);

    /// <summary>
    /// The pattern for a tokenizer.json Split. Regexes Hugging Face models ship (GPT-2, Llama 3 /
    /// cl100k, Qwen2/3) run on hand-written scanners that read code points (the .NET regex engine
    /// reads UTF-16 units, so it would miss astral letters and digits); others run on .NET Regex.
    /// </summary>
    public static Pattern Create(string text, bool isRegex)
    {
        if (!isRegex) return new LiteralPattern(text);
        return text switch
        {
            Gpt2Scanner.Regex => new Gpt2Scanner(),
            Llama3Scanner.RegexLlama3 => new Llama3Scanner(3),
            Llama3Scanner.RegexQwen2 => new Llama3Scanner(1),
            _ => new RegexPattern(text),
        };
    }
}

/// <summary>Every occurrence of a literal string.</summary>
internal sealed class LiteralPattern(string literal) : Pattern
{
    public override void FindMatches(ReadOnlySpan<char> text, List<TextRange> matches)
    {
        if (literal.Length == 0) return;
        int pos = 0;
        while (pos <= text.Length - literal.Length)
        {
            int i = text[pos..].IndexOf(literal, StringComparison.Ordinal);
            if (i < 0) break;
            matches.Add(new TextRange(pos + i, pos + i + literal.Length));
            pos += i + literal.Length;
        }
    }
}

/// <summary>Each char for which a predicate holds is a one-char match (Hugging Face's <c>Fn(char) -> bool</c> pattern).</summary>
internal sealed class CharPattern(Func<int, bool> predicate) : Pattern
{
    public override void FindMatches(ReadOnlySpan<char> text, List<TextRange> matches)
    {
        for (int i = 0; i < text.Length;)
        {
            int n = char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]) ? 2 : 1;
            int cp = n == 2 ? char.ConvertToUtf32(text[i], text[i + 1]) : text[i];
            if (predicate(cp)) matches.Add(new TextRange(i, i + n));
            i += n;
        }
    }
}

/// <summary>
/// A .NET regular expression (compiled). The .NET engine reads UTF-16 units, so a surrogate pair
/// would be two "characters" of category Cs; Oniguruma (which Hugging Face uses) reads code points.
/// When the text has astral characters, each code point is first replaced by one BMP stand-in of
/// the same Unicode category (chosen outside the ranges tokenizer regexes spell out), the regex runs
/// on that, and match offsets are mapped back.
/// </summary>
internal sealed class RegexPattern : Pattern
{
    private readonly Regex regex;

    public RegexPattern(string pattern)
    {
        try
        {
            regex = new Regex(pattern, RegexOptions.Compiled | RegexOptions.CultureInvariant);
        }
        catch (ArgumentException e)
        {
            throw new Dlm.Core.DlmException($"tokenizer.json: invalid regex \"{pattern}\": {e.Message}");
        }
    }

    [ThreadStatic] private static char[]? mappedTls;
    [ThreadStatic] private static int[]? offsetsTls;

    public override void FindMatches(ReadOnlySpan<char> text, List<TextRange> matches)
    {
        if (!text.ContainsAnyInRange('\uD800', '\uDFFF'))
        {
            foreach (var m in regex.EnumerateMatches(text))
                if (m.Length > 0) matches.Add(new TextRange(m.Index, m.Index + m.Length));
            return;
        }
        var mapped = mappedTls is { } a && a.Length >= text.Length ? a : (mappedTls = new char[Math.Max(text.Length, 256)]);
        var offsets = offsetsTls is { } o && o.Length >= text.Length + 1 ? o : (offsetsTls = new int[Math.Max(text.Length + 1, 257)]);
        int n = 0;
        for (int i = 0; i < text.Length;)
        {
            offsets[n] = i;
            if (char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                mapped[n++] = StandIn(char.ConvertToUtf32(text[i], text[i + 1]));
                i += 2;
            }
            else mapped[n++] = text[i++];
        }
        offsets[n] = text.Length;
        foreach (var m in regex.EnumerateMatches(mapped.AsSpan(0, n)))
            if (m.Length > 0) matches.Add(new TextRange(offsets[m.Index], offsets[m.Index + m.Length]));
    }

    /// <summary>A BMP char of the same general category as the astral code point <paramref name="cp"/>.</summary>
    private static char StandIn(int cp) => System.Globalization.CharUnicodeInfo.GetUnicodeCategory(cp) switch
    {
        System.Globalization.UnicodeCategory.UppercaseLetter => '\u01C4',
        System.Globalization.UnicodeCategory.LowercaseLetter => '\u01C6',
        System.Globalization.UnicodeCategory.TitlecaseLetter => '\u01C5',
        System.Globalization.UnicodeCategory.ModifierLetter => '\u02B0',
        System.Globalization.UnicodeCategory.OtherLetter => '\u01C0',
        System.Globalization.UnicodeCategory.NonSpacingMark => '\u0610',
        System.Globalization.UnicodeCategory.SpacingCombiningMark => '\u0903',
        System.Globalization.UnicodeCategory.EnclosingMark => '\u20DD',
        System.Globalization.UnicodeCategory.DecimalDigitNumber => '\u0660',
        System.Globalization.UnicodeCategory.LetterNumber => '\u2160',
        System.Globalization.UnicodeCategory.OtherNumber => '\u00B2',
        System.Globalization.UnicodeCategory.ConnectorPunctuation => '\u203F',
        System.Globalization.UnicodeCategory.DashPunctuation => '\u2010',
        System.Globalization.UnicodeCategory.OpenPunctuation => '\u2045',
        System.Globalization.UnicodeCategory.ClosePunctuation => '\u2046',
        System.Globalization.UnicodeCategory.InitialQuotePunctuation => '\u2039',
        System.Globalization.UnicodeCategory.FinalQuotePunctuation => '\u203A',
        System.Globalization.UnicodeCategory.OtherPunctuation => '\u00B6',
        System.Globalization.UnicodeCategory.MathSymbol => '\u00AC',
        System.Globalization.UnicodeCategory.CurrencySymbol => '\u00A2',
        System.Globalization.UnicodeCategory.ModifierSymbol => '\u02C2',
        System.Globalization.UnicodeCategory.OtherSymbol => '\u00A9',
        System.Globalization.UnicodeCategory.Format => '\u0600',
        System.Globalization.UnicodeCategory.PrivateUse => '\uE000',
        _ => '\u0378', // unassigned
    };
}
