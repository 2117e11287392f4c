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

/// <summary>A .NET regular expression (compiled). Reads UTF-16 units: astral characters are two units.</summary>
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

    public override void FindMatches(ReadOnlySpan<char> text, List<TextRange> matches)
    {
        foreach (var m in regex.EnumerateMatches(text))
            if (m.Length > 0) matches.Add(new TextRange(m.Index, m.Index + m.Length));
    }
}
