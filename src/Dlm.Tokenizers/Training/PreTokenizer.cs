using System.Text.RegularExpressions;
using Dlm.Core;

namespace Dlm.Tokenizers.Training;

/// <summary>Receives one pre-token (a slice of the text being split).</summary>
internal delegate void PieceSink(ReadOnlySpan<char> piece);

/// <summary>
/// Splits text into pre-tokens the way a tokenizer.json <c>Split</c> pre-tokenizer with
/// behaviour <c>Isolated</c> does: every match is a piece, and so is every stretch between matches.
/// </summary>
internal abstract class PreTokenizer
{
    /// <summary>The pattern written into tokenizer.json.</summary>
    public abstract string RegexPattern { get; }

    /// <summary>Calls <paramref name="sink"/> for each piece, in order; the pieces tile the text.</summary>
    public abstract void Split(ReadOnlySpan<char> text, PieceSink sink);

    /// <summary>The GPT-2 matcher for the GPT-2 pattern (or null), a .NET regex for any other.</summary>
    public static PreTokenizer Create(string? pattern) =>
        pattern is null || pattern == Gpt2PreTokenizer.Pattern
            ? new Gpt2PreTokenizer()
            : new RegexPreTokenizer(pattern);
}

/// <summary>
/// Any pattern, through .NET regular expressions. .NET matches UTF-16 code units, so classes
/// such as <c>\p{L}</c> do not match astral characters (Oniguruma, used by Hugging Face, does):
/// for text outside the BMP a custom pattern may split differently from the Rust library.
/// </summary>
internal sealed class RegexPreTokenizer : PreTokenizer
{
    private readonly Regex _regex;

    public RegexPreTokenizer(string pattern)
    {
        if (pattern.Length == 0) throw new DlmException("bad --regex: the pattern is empty");
        try
        {
            _regex = new Regex(pattern, RegexOptions.CultureInvariant | RegexOptions.Compiled);
        }
        catch (ArgumentException e)
        {
            throw new DlmException($"bad pre-tokenization regex '{pattern}': {e.Message}", e);
        }
        RegexPattern = pattern;
    }

    public override string RegexPattern { get; }

    public override void Split(ReadOnlySpan<char> text, PieceSink sink)
    {
        int last = 0;
        foreach (var m in _regex.EnumerateMatches(text))
        {
            if (m.Length == 0) continue;
            if (m.Index > last) sink(text[last..m.Index]);
            sink(text.Slice(m.Index, m.Length));
            last = m.Index + m.Length;
        }
        if (last < text.Length) sink(text[last..]);
    }
}
