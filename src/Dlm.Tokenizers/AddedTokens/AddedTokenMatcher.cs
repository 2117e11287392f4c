using System.Buffers;
using System.Globalization;

namespace Dlm.Tokenizers.AddedTokens;

/// <summary>A stretch of text between added tokens (<c>Id</c> &lt; 0) or one added token.</summary>
internal readonly record struct Segment(int Start, int End, int Id);

/// <summary>
/// Finds added tokens in text the way Hugging Face's Aho-Corasick (leftmost-longest) does:
/// the earliest match wins, the longest at that position; then single_word, lstrip and rstrip apply.
/// </summary>
internal sealed class AddedTokenMatcher
{
    private readonly Dictionary<char, (string Content, AddedToken Token)[]> byFirstChar = [];
    private readonly SearchValues<char> firstChars;

    public bool IsEmpty { get; }

    /// <param name="tokens">The tokens, with the text to match for each (normalized content for normalized tokens).</param>
    public AddedTokenMatcher(IEnumerable<(string Content, AddedToken Token)> tokens)
    {
        var groups = tokens.Where(t => t.Content.Length > 0).GroupBy(t => t.Content[0]);
        foreach (var g in groups)
            byFirstChar[g.Key] = [.. g.OrderByDescending(t => t.Content.Length)];
        firstChars = SearchValues.Create([.. byFirstChar.Keys]);
        IsEmpty = byFirstChar.Count == 0;
    }

    /// <summary>Appends the segments of <paramref name="text"/>, offset by <paramref name="baseOffset"/>.</summary>
    public void Split(ReadOnlySpan<char> text, int baseOffset, List<Segment> output)
    {
        int startOffset = 0;
        int pos = 0;
        while (pos < text.Length)
        {
            int rel = text[pos..].IndexOfAny(firstChars);
            if (rel < 0) break;
            int at = pos + rel;
            AddedToken? found = null;
            int len = 0;
            foreach (var (content, token) in byFirstChar[text[at]])
                if (text[at..].StartsWith(content, StringComparison.Ordinal)) { found = token; len = content.Length; break; }
            if (found is null) { pos = at + 1; continue; }
            int start = at, stop = at + len;
            pos = stop;
            if (found.SingleWord)
            {
                bool startSpace = start == 0 || !IsWordChar(text[..start], atEnd: true);
                bool stopSpace = stop == text.Length || !IsWordChar(text[stop..], atEnd: false);
                if (!startSpace || !stopSpace) continue;
            }
            if (found.Lstrip)
            {
                int s = start;
                while (s > 0 && char.IsWhiteSpace(text[s - 1])) s--;
                start = Math.Max(s, startOffset);
            }
            if (found.Rstrip)
                while (stop < text.Length && char.IsWhiteSpace(text[stop])) stop++;
            if (startOffset < start) output.Add(new Segment(baseOffset + startOffset, baseOffset + start, -1));
            output.Add(new Segment(baseOffset + start, baseOffset + stop, found.Id));
            startOffset = stop;
        }
        if (startOffset < text.Length) output.Add(new Segment(baseOffset + startOffset, baseOffset + text.Length, -1));
    }

    /// <summary>Regex <c>\w</c> at the start or end of <paramref name="s"/>: letters, marks, digits, connector punctuation.</summary>
    private static bool IsWordChar(ReadOnlySpan<char> s, bool atEnd)
    {
        if (s.IsEmpty) return false;
        int cp;
        if (atEnd)
            cp = s.Length >= 2 && char.IsLowSurrogate(s[^1]) && char.IsHighSurrogate(s[^2]) ? char.ConvertToUtf32(s[^2], s[^1]) : s[^1];
        else
            cp = s.Length >= 2 && char.IsHighSurrogate(s[0]) && char.IsLowSurrogate(s[1]) ? char.ConvertToUtf32(s[0], s[1]) : s[0];
        if (cp == 0x200C || cp == 0x200D) return true;
        return CharUnicodeInfo.GetUnicodeCategory(cp) switch
        {
            UnicodeCategory.UppercaseLetter or UnicodeCategory.LowercaseLetter or UnicodeCategory.TitlecaseLetter
                or UnicodeCategory.ModifierLetter or UnicodeCategory.OtherLetter or UnicodeCategory.NonSpacingMark
                or UnicodeCategory.SpacingCombiningMark or UnicodeCategory.EnclosingMark or UnicodeCategory.DecimalDigitNumber
                or UnicodeCategory.LetterNumber or UnicodeCategory.ConnectorPunctuation => true,
            _ => false,
        };
    }
}
