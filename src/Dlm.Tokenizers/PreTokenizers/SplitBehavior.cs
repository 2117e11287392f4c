using Dlm.Core;
using Dlm.Tokenizers.Pipeline;

namespace Dlm.Tokenizers.PreTokenizers;

/// <summary>What a split does with the matched delimiters (Hugging Face <c>SplitDelimiterBehavior</c>).</summary>
internal enum SplitBehavior
{
    /// <summary>Matches are dropped.</summary>
    Removed,
    /// <summary>Each match is a piece of its own.</summary>
    Isolated,
    /// <summary>A match joins the piece before it.</summary>
    MergedWithPrevious,
    /// <summary>A match joins the piece after it.</summary>
    MergedWithNext,
    /// <summary>Consecutive matches form one piece.</summary>
    Contiguous,
}

/// <summary>A half-open range [Start, End) of chars.</summary>
internal readonly record struct TextRange(int Start, int End);

/// <summary>
/// Turns the matches of a pattern into pieces with the given behaviour, exactly as Hugging Face's
/// <c>NormalizedString::split</c>: matches and the gaps between them alternate; <c>invert</c>
/// swaps which is which; empty pieces are dropped.
/// </summary>
internal static class Splitter
{
    public static SplitBehavior Parse(string? name) => name switch
    {
        "Removed" => SplitBehavior.Removed,
        "Isolated" => SplitBehavior.Isolated,
        "MergedWithPrevious" => SplitBehavior.MergedWithPrevious,
        "MergedWithNext" => SplitBehavior.MergedWithNext,
        "Contiguous" => SplitBehavior.Contiguous,
        _ => throw new DlmException($"tokenizer.json: unknown split behavior \"{name}\""),
    };

    public static string Name(SplitBehavior b) => b.ToString();

    [ThreadStatic] private static List<(int Start, int End, bool Match)>? segmentsTls;

    /// <summary>Splits <paramref name="text"/> at <paramref name="matches"/> (sorted, disjoint) and appends the pieces.</summary>
    public static void Apply(ReadOnlySpan<char> text, bool atStart, List<TextRange> matches, SplitBehavior behavior,
        bool invert, PieceBuffer output)
    {
        if (text.IsEmpty) return;
        var segs = segmentsTls ??= new List<(int, int, bool)>(64);
        segs.Clear();
        int prev = 0;
        foreach (var m in matches)
        {
            if (prev != m.Start) segs.Add((prev, m.Start, invert));
            segs.Add((m.Start, m.End, !invert));
            prev = m.End;
        }
        if (prev != text.Length) segs.Add((prev, text.Length, invert));

        switch (behavior)
        {
            case SplitBehavior.Isolated:
                foreach (var (s, e, _) in segs) output.Add(text[s..e], atStart && s == 0);
                break;
            case SplitBehavior.Removed:
                foreach (var (s, e, m) in segs)
                    if (!m) output.Add(text[s..e], atStart && s == 0);
                break;
            case SplitBehavior.MergedWithPrevious:
            {
                // A match extends the piece before it, unless that piece was itself a match.
                int curS = -1, curE = -1;
                bool previousMatch = false;
                foreach (var (s, e, m) in segs)
                {
                    if (m && !previousMatch && curS >= 0) curE = e;
                    else
                    {
                        if (curS >= 0) output.Add(text[curS..curE], atStart && curS == 0);
                        curS = s; curE = e;
                    }
                    previousMatch = m;
                }
                if (curS >= 0) output.Add(text[curS..curE], atStart && curS == 0);
                break;
            }
            case SplitBehavior.MergedWithNext:
            {
                // Walk backwards: a match extends the piece after it, unless that piece was a match.
                var merged = new List<(int, int)>(segs.Count);
                bool previousMatch = false;
                for (int i = segs.Count - 1; i >= 0; i--)
                {
                    var (s, e, m) = segs[i];
                    if (m && !previousMatch && merged.Count > 0) merged[^1] = (s, merged[^1].Item2);
                    else merged.Add((s, e));
                    previousMatch = m;
                }
                for (int i = merged.Count - 1; i >= 0; i--)
                    output.Add(text[merged[i].Item1..merged[i].Item2], atStart && merged[i].Item1 == 0);
                break;
            }
            case SplitBehavior.Contiguous:
            {
                int curS = -1, curE = -1;
                bool previousMatch = false;
                foreach (var (s, e, m) in segs)
                {
                    if (m == previousMatch && curS >= 0) curE = e;
                    else
                    {
                        if (curS >= 0) output.Add(text[curS..curE], atStart && curS == 0);
                        curS = s; curE = e;
                    }
                    previousMatch = m;
                }
                if (curS >= 0) output.Add(text[curS..curE], atStart && curS == 0);
                break;
            }
        }
    }
}
