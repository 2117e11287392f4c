using System.Text;
using System.Text.RegularExpressions;

namespace Dlm.Chat.Tests;

/// <summary>
/// The part of Go's text/template that Ollama chat templates use, to check that dlm's templates
/// lay conversations out as its renderers do: text, <c>{{ .Field }}</c>, <c>range .Messages</c>,
/// <c>if</c> / <c>else if</c> / <c>else</c> / <c>end</c> on <c>eq .Field "text"</c> or a field's
/// truth, and the <c>{{-</c> / <c>-}}</c> whitespace trimming. Anything else throws.
/// </summary>
public static class GoTemplate
{
    private abstract record Node;
    private sealed record Text(string Value) : Node;
    private sealed record Field(string Name) : Node;
    private sealed record Range(string Name, List<Node> Body) : Node;
    private sealed record If(List<(string Cond, List<Node> Body)> Branches, List<Node>? Else) : Node;

    /// <summary>Renders <paramref name="template"/> with top-level fields and a list of messages (each a field map).</summary>
    public static string Render(string template, IReadOnlyDictionary<string, string> top, IReadOnlyList<IReadOnlyDictionary<string, string>> messages)
    {
        var tokens = Lex(template);
        int pos = 0;
        var nodes = Parse(tokens, ref pos, out var stop);
        if (stop is not null) throw new FormatException($"unexpected {{{{ {stop} }}}}");
        var sb = new StringBuilder();
        Eval(nodes, top, messages, sb);
        return sb.ToString();
    }

    private static List<(bool IsAction, string Value)> Lex(string t)
    {
        var result = new List<(bool, string)>();
        int i = 0;
        while (i < t.Length)
        {
            int open = t.IndexOf("{{", i, StringComparison.Ordinal);
            if (open < 0) { result.Add((false, t[i..])); break; }
            var text = t[i..open];
            int close = t.IndexOf("}}", open, StringComparison.Ordinal);
            var inner = t[(open + 2)..close];
            if (inner.StartsWith('-')) { text = text.TrimEnd(' ', '\t', '\n', '\r'); inner = inner[1..]; }
            bool trimAfter = inner.EndsWith('-');
            if (trimAfter) inner = inner[..^1];
            result.Add((false, text));
            result.Add((true, inner.Trim()));
            i = close + 2;
            if (trimAfter) while (i < t.Length && t[i] is ' ' or '\t' or '\n' or '\r') i++;
        }
        return result;
    }

    private static List<Node> Parse(List<(bool IsAction, string Value)> tokens, ref int pos, out string? stop)
    {
        var nodes = new List<Node>();
        while (pos < tokens.Count)
        {
            var (isAction, v) = tokens[pos++];
            if (!isAction) { if (v.Length > 0) nodes.Add(new Text(v)); continue; }
            if (v == "end" || v == "else" || v.StartsWith("else if ", StringComparison.Ordinal)) { stop = v; return nodes; }
            if (v.StartsWith("range ", StringComparison.Ordinal))
            {
                var body = Parse(tokens, ref pos, out var s);
                if (s != "end") throw new FormatException("range without end");
                nodes.Add(new Range(v[6..].Trim().TrimStart('.'), body));
            }
            else if (v.StartsWith("if ", StringComparison.Ordinal))
            {
                var branches = new List<(string, List<Node>)>();
                string cond = v[3..];
                List<Node>? otherwise = null;
                while (true)
                {
                    var body = Parse(tokens, ref pos, out var s);
                    branches.Add((cond, body));
                    if (s == "end") break;
                    if (s == "else") { otherwise = Parse(tokens, ref pos, out var e); if (e != "end") throw new FormatException("else without end"); break; }
                    if (s is not null && s.StartsWith("else if ", StringComparison.Ordinal)) { cond = s[8..]; continue; }
                    throw new FormatException("if without end");
                }
                nodes.Add(new If(branches, otherwise));
            }
            else if (Regex.IsMatch(v, @"^\.[A-Za-z]+$")) nodes.Add(new Field(v[1..]));
            else throw new FormatException($"unsupported action {{{{ {v} }}}}");
        }
        stop = null;
        return nodes;
    }

    private static void Eval(List<Node> nodes, IReadOnlyDictionary<string, string> scope, IReadOnlyList<IReadOnlyDictionary<string, string>> messages, StringBuilder sb)
    {
        foreach (var n in nodes)
            switch (n)
            {
                case Text t: sb.Append(t.Value); break;
                case Field f: sb.Append(scope.TryGetValue(f.Name, out var v) ? v : ""); break;
                case Range r when r.Name == "Messages":
                    foreach (var m in messages) Eval(r.Body, m, messages, sb);
                    break;
                case If i:
                    var branch = i.Branches.FirstOrDefault(b => Cond(b.Cond, scope)).Body ?? i.Else;
                    if (branch is not null) Eval(branch, scope, messages, sb);
                    break;
                default: throw new FormatException($"cannot evaluate {n}");
            }
    }

    private static bool Cond(string cond, IReadOnlyDictionary<string, string> scope)
    {
        var eq = Regex.Match(cond, @"^eq \.([A-Za-z]+) ""([^""]*)""$");
        if (eq.Success) return scope.TryGetValue(eq.Groups[1].Value, out var v) && v == eq.Groups[2].Value;
        var truth = Regex.Match(cond, @"^\.([A-Za-z]+)$");
        if (truth.Success) return scope.TryGetValue(truth.Groups[1].Value, out var v) && v.Length > 0;
        throw new FormatException($"unsupported condition {cond}");
    }
}
