namespace Dlm.Documents.Descent;

/// <summary>
/// A compiled include/exclude glob, matched against a POSIX path relative to a root
/// (docs/documents.md "Directory descent"): <c>*</c> and <c>?</c> within one segment;
/// <c>**</c> only as a whole segment (any number of segments; as the last segment at least
/// one, so <c>a/**</c> is everything below <c>a</c> but not <c>a</c>), elsewhere it is
/// <c>*</c>; <c>[abc]</c>, <c>[a-z]</c>, <c>[!x]</c> one character, never <c>/</c>;
/// <c>{a,b}</c> alternatives split at commas (not nested). An unclosed <c>[</c> or <c>{</c>
/// makes it and the rest of the pattern literal.
/// </summary>
public sealed class Glob
{
    private readonly Segment[][] _alternatives;

    private Glob(string pattern, Segment[][] alternatives)
    {
        Pattern = pattern;
        _alternatives = alternatives;
    }

    /// <summary>The pattern as written.</summary>
    public string Pattern { get; }

    /// <summary>Compiles <paramref name="pattern"/>; never fails (malformed parts are literal).</summary>
    public static Glob Compile(string pattern)
    {
        ArgumentNullException.ThrowIfNull(pattern);
        var alts = Tokenize(pattern).Select(ToSegments).ToArray();
        return new Glob(pattern, alts);
    }

    /// <summary>True when the POSIX relative <paramref name="path"/> matches one of the alternatives.</summary>
    public bool IsMatch(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        var parts = path.Split('/');
        foreach (var alt in _alternatives)
            if (MatchSegments(alt, 0, parts, 0)) return true;
        return false;
    }

    /// <inheritdoc />
    public override string ToString() => Pattern;

    // ---- tokens ----

    private enum Kind { Literal, Star, Question, Class, Slash }

    private readonly record struct Token(Kind Kind, char Char = '\0', CharClass? Class = null);

    private sealed record CharClass(bool Negated, List<(char Lo, char Hi)> Ranges)
    {
        public bool Matches(char c)
        {
            if (c == '/') return false;
            bool inSet = false;
            foreach (var (lo, hi) in Ranges)
                if (c >= lo && c <= hi) { inSet = true; break; }
            return inSet != Negated;
        }
    }

    /// <summary>Splits the pattern into token lists, one per brace alternative.</summary>
    private static List<List<Token>> Tokenize(string p)
    {
        var alts = new List<List<Token>> { new() };
        int i = 0;
        while (i < p.Length)
        {
            char c = p[i];
            if (c == '[')
            {
                var cls = ParseClass(p, i, out int end);
                if (cls is null) { AppendLiteralRest(alts, p, i); break; }
                foreach (var a in alts) a.Add(new Token(Kind.Class, Class: cls));
                i = end + 1;
            }
            else if (c == '{')
            {
                int close = p.IndexOf('}', i + 1);
                if (close < 0) { AppendLiteralRest(alts, p, i); break; }
                var parts = p[(i + 1)..close].Split(',');
                var next = new List<List<Token>>();
                foreach (var a in alts)
                    foreach (var part in parts)
                        foreach (var partTokens in Tokenize(part))
                            next.Add([.. a, .. partTokens]);
                alts = next;
                i = close + 1;
            }
            else
            {
                var t = c switch
                {
                    '*' => new Token(Kind.Star),
                    '?' => new Token(Kind.Question),
                    '/' => new Token(Kind.Slash),
                    _ => new Token(Kind.Literal, c),
                };
                foreach (var a in alts) a.Add(t);
                i++;
            }
        }
        return alts;
    }

    private static void AppendLiteralRest(List<List<Token>> alts, string p, int from)
    {
        foreach (var a in alts)
            for (int k = from; k < p.Length; k++)
                a.Add(p[k] == '/' ? new Token(Kind.Slash) : new Token(Kind.Literal, p[k]));
    }

    /// <summary>Parses <c>[...]</c> at <paramref name="start"/>; null when it never closes.</summary>
    private static CharClass? ParseClass(string p, int start, out int end)
    {
        int i = start + 1;
        bool negated = false;
        if (i < p.Length && (p[i] == '!' || p[i] == '^')) { negated = true; i++; }
        var ranges = new List<(char, char)>();
        bool first = true;
        while (i < p.Length)
        {
            char c = p[i];
            if (c == ']' && !first)
            {
                end = i;
                return new CharClass(negated, ranges);
            }
            first = false;
            if (i + 2 < p.Length && p[i + 1] == '-' && p[i + 2] != ']')
            {
                char hi = p[i + 2];
                if (hi >= c) ranges.Add((c, hi));
                i += 3;
            }
            else
            {
                ranges.Add((c, c));
                i++;
            }
        }
        end = -1;
        return null;
    }

    // ---- segments ----

    private sealed record Segment(bool GlobStar, Token[] Tokens);

    private static Segment[] ToSegments(List<Token> tokens)
    {
        var segs = new List<Segment>();
        var cur = new List<Token>();
        foreach (var t in tokens)
        {
            if (t.Kind == Kind.Slash) { segs.Add(Make(cur)); cur = []; }
            else cur.Add(t);
        }
        segs.Add(Make(cur));
        return [.. segs];

        static Segment Make(List<Token> seg) =>
            new(seg.Count == 2 && seg[0].Kind == Kind.Star && seg[1].Kind == Kind.Star, [.. seg]);
    }

    private static bool MatchSegments(Segment[] pat, int pi, string[] path, int si)
    {
        while (true)
        {
            if (pi == pat.Length) return si == path.Length;
            var seg = pat[pi];
            if (seg.GlobStar)
            {
                bool last = pi == pat.Length - 1;
                if (last) return path.Length - si >= 1;
                for (int k = si; k <= path.Length; k++)
                    if (MatchSegments(pat, pi + 1, path, k)) return true;
                return false;
            }
            if (si == path.Length || !MatchSegment(seg.Tokens, path[si])) return false;
            pi++;
            si++;
        }
    }

    /// <summary>Wildcard match of one segment; <c>*</c> backtracks over the last star only (linear).</summary>
    private static bool MatchSegment(Token[] tokens, string s)
    {
        int ti = 0, si = 0, starT = -1, starS = -1;
        while (si < s.Length)
        {
            if (ti < tokens.Length && tokens[ti].Kind == Kind.Star)
            {
                starT = ti++;
                starS = si;
                continue;
            }
            if (ti < tokens.Length && One(tokens[ti], s[si]))
            {
                ti++;
                si++;
                continue;
            }
            if (starT >= 0)
            {
                ti = starT + 1;
                si = ++starS;
                continue;
            }
            return false;
        }
        while (ti < tokens.Length && tokens[ti].Kind == Kind.Star) ti++;
        return ti == tokens.Length;
    }

    private static bool One(Token t, char c) => t.Kind switch
    {
        Kind.Literal => t.Char == c,
        Kind.Question => true,
        Kind.Class => t.Class!.Matches(c),
        _ => false,
    };
}
