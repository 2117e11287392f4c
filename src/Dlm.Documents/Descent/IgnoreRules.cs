using System.Text;

namespace Dlm.Documents.Descent;

/// <summary>What a set of ignore rules says about one path.</summary>
public enum IgnoreVerdict
{
    /// <summary>No rule matched: the earlier layers decide.</summary>
    None,

    /// <summary>The last matching rule ignores the path.</summary>
    Ignored,

    /// <summary>The last matching rule is a <c>!</c> rule: the path is re-included.</summary>
    Included,
}

/// <summary>
/// The rules of one <c>.dlm/ignore</c> file, read with git's <c>.gitignore</c> syntax as if the
/// file were <c>&lt;anchor&gt;/.gitignore</c>: blank lines and <c>#</c> comments skipped, trailing
/// spaces dropped unless escaped with <c>\</c>, <c>!</c> negates, a trailing <c>/</c> matches
/// folders only, a pattern with a <c>/</c> at its start or middle is anchored to the file's
/// folder and otherwise matches a name at any depth, <c>**</c> as in git, <c>\</c> escapes.
/// Which rule decides (the last that matches) and that nothing inside an ignored folder can be
/// re-included are handled by <see cref="IgnoreLayers"/>.
/// </summary>
public sealed class IgnoreRules
{
    private readonly List<Rule> _rules;

    private IgnoreRules(List<Rule> rules) => _rules = rules;

    /// <summary>How many rules the file holds (comments and blank lines not counted).</summary>
    public int Count => _rules.Count;

    /// <summary>Parses the text of an ignore file.</summary>
    public static IgnoreRules Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var rules = new List<Rule>();
        foreach (var raw in text.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n'))
            if (ParseLine(raw) is { } rule) rules.Add(rule);
        return new IgnoreRules(rules);
    }

    /// <summary>
    /// The verdict of this file alone for <paramref name="path"/> (POSIX, relative to the file's
    /// anchor folder), the last matching rule deciding.
    /// </summary>
    public IgnoreVerdict Evaluate(string path, bool isDirectory)
    {
        for (int i = _rules.Count - 1; i >= 0; i--)
        {
            var r = _rules[i];
            if (r.DirectoryOnly && !isDirectory) continue;
            if (r.Glob.IsMatch(path)) return r.Negated ? IgnoreVerdict.Included : IgnoreVerdict.Ignored;
        }
        return IgnoreVerdict.None;
    }

    private sealed record Rule(Glob Glob, bool Negated, bool DirectoryOnly);

    private static Rule? ParseLine(string line)
    {
        if (line.Length == 0 || line[0] == '#') return null;
        // Trailing spaces are dropped unless the last one is escaped with a backslash.
        int end = line.Length;
        while (end > 0 && line[end - 1] == ' ' && !(end >= 2 && line[end - 2] == '\\')) end--;
        line = line[..end];
        if (line.Length == 0) return null;
        bool negated = false;
        if (line[0] == '!') { negated = true; line = line[1..]; }
        bool dirOnly = false;
        if (line.EndsWith('/') && !line.EndsWith("\\/", StringComparison.Ordinal))
        {
            dirOnly = true;
            line = line.TrimEnd('/');
        }
        if (line.Length == 0) return null;
        // A slash at the start or in the middle anchors the pattern; otherwise it matches a name at any depth.
        bool anchored = line.Contains('/', StringComparison.Ordinal);
        if (line[0] == '/') line = line[1..];
        if (line.Length == 0) return null;
        var glob = ToGlobSyntax(line);
        if (!anchored) glob = "**/" + glob;
        return new Rule(Glob.Compile(glob), negated, dirOnly);
    }

    /// <summary>
    /// Rewrites gitignore wildcard syntax in <see cref="Glob"/> syntax: escaped characters and
    /// characters special to <see cref="Glob"/> only (braces) become one-character classes.
    /// </summary>
    private static string ToGlobSyntax(string p)
    {
        var sb = new StringBuilder(p.Length + 8);
        for (int i = 0; i < p.Length; i++)
        {
            char c = p[i];
            if (c == '\\' && i + 1 < p.Length)
            {
                AppendLiteral(sb, p[++i]);
            }
            else if (c == '[')
            {
                int close = FindClassEnd(p, i);
                if (close < 0) { AppendLiteral(sb, c); continue; }
                sb.Append('[');
                int j = i + 1;
                if (p[j] == '!' || p[j] == '^') { sb.Append('!'); j++; }
                for (; j < close; j++)
                {
                    if (p[j] == '\\' && j + 1 < close) j++;
                    sb.Append(p[j]);
                }
                sb.Append(']');
                i = close;
            }
            else if (c is '{' or '}' or ',')
            {
                AppendLiteral(sb, c);
            }
            else
            {
                sb.Append(c);
            }
        }
        return sb.ToString();
    }

    private static void AppendLiteral(StringBuilder sb, char c)
    {
        if (c is '*' or '?' or '[' or '{' or '}' or ',' or ']') sb.Append('[').Append(c).Append(']');
        else sb.Append(c);
    }

    private static int FindClassEnd(string p, int start)
    {
        int j = start + 1;
        if (j < p.Length && (p[j] == '!' || p[j] == '^')) j++;
        if (j < p.Length && p[j] == ']') j++;
        for (; j < p.Length; j++)
        {
            if (p[j] == '\\') { j++; continue; }
            if (p[j] == ']') return j;
        }
        return -1;
    }
}
