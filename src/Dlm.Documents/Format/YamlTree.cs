using Dlm.Core;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Dlm.Documents.Format;

/// <summary>A frontmatter YAML node with the file line and column it starts at.</summary>
internal abstract record YNode(int Line, int Column);

/// <summary>A scalar; <paramref name="Plain"/> is false when it was quoted or a block scalar (so never a number, bool or null).</summary>
internal sealed record YScalar(string Value, bool Plain, int Line, int Column) : YNode(Line, Column)
{
    /// <summary>True for the plain scalars YAML reads as null: empty, <c>~</c>, <c>null</c>.</summary>
    public bool IsNull => Plain && Value is "" or "~" or "null" or "Null" or "NULL";
}

/// <summary>A sequence.</summary>
internal sealed record YSeq(IReadOnlyList<YNode> Items, int Line, int Column) : YNode(Line, Column);

/// <summary>A mapping with string keys in document order (keys are unique: duplicates are refused on load).</summary>
internal sealed record YMap(List<YEntry> Entries, int Line, int Column) : YNode(Line, Column)
{
    public YEntry? Find(string key) => Entries.Find(e => e.Key == key);
}

/// <summary>One key of a mapping, with where the key is written.</summary>
internal sealed record YEntry(string Key, int Line, int Column, YNode Value);

/// <summary>
/// Loads frontmatter YAML through YamlDotNet's representation model into <see cref="YNode"/>s
/// that keep file positions. YAML line 1 is file line <c>lineOffset + 1</c>.
/// </summary>
internal static class YamlTree
{
    public static YNode? Load(string yaml, string path, int lineOffset)
    {
        RejectControlCharacters(yaml, path, lineOffset);
        var stream = new YamlStream();
        try
        {
            using var reader = new StringReader(yaml);
            stream.Load(reader);
        }
        catch (YamlException e)
        {
            var message = Describe(e, yaml);
            var (line, column) = BetterPosition(e, yaml) ?? ((int)e.Start.Line, (int)Math.Max(1, e.Start.Column));
            throw new DlmException(new SourceLocation(path, line + lineOffset, column), message);
        }
        catch (Exception e) when (e is InvalidOperationException or ArgumentException or IndexOutOfRangeException or NullReferenceException)
        {
            // YamlDotNet reports some malformed input with internal exceptions and no position.
            throw new DlmException(new SourceLocation(path, lineOffset + 1, 1), $"invalid YAML in the frontmatter ({e.Message})");
        }
        if (stream.Documents.Count == 0) return null;
        if (stream.Documents.Count > 1)
            throw new DlmException(new SourceLocation(path, lineOffset + 1, 1), "frontmatter holds more than one YAML document");
        return Convert(stream.Documents[0].RootNode, path, lineOffset);
    }

    /// <summary>YAML allows tab, LF and CR among the C0 controls, and no DEL or C1 controls outside NEL; the rest are refused here with their position.</summary>
    private static void RejectControlCharacters(string yaml, string path, int lineOffset)
    {
        var line = 1;
        var column = 1;
        foreach (var c in yaml)
        {
            if (c == '\n') { line++; column = 1; continue; }
            if ((c < 0x20 && c != '\t' && c != '\r') || c == 0x7F || (c >= 0x80 && c < 0xA0 && c != 0x85) || c is '\uFFFE' or '\uFFFF')
                throw new DlmException(new SourceLocation(path, line + lineOffset, column),
                    $"control character U+{(int)c:X4} is not allowed in YAML frontmatter");
            column++;
        }
    }

    /// <summary>
    /// YamlDotNet marks some errors at the start of the stream; for those the culprit can be found
    /// in the text: the first line indented with a tab, or the first use of the unknown alias.
    /// </summary>
    private static (int Line, int Column)? BetterPosition(YamlException e, string yaml)
    {
        if (e.Start.Line > 1 || e.Start.Column > 1) return null;
        var lines = yaml.Split('\n');
        if (e.Message.Contains("tab", StringComparison.OrdinalIgnoreCase))
        {
            for (var i = 0; i < lines.Length; i++)
            {
                var indent = lines[i].TakeWhile(c => c is ' ' or '\t').ToArray();
                if (indent.Contains('\t')) return (i + 1, Array.IndexOf(indent, '\t') + 1);
            }
        }
        var anchor = System.Text.RegularExpressions.Regex.Match(e.Message, "anchor '([^']+)'");
        if (anchor.Success)
        {
            for (var i = 0; i < lines.Length; i++)
            {
                var at = lines[i].IndexOf("*" + anchor.Groups[1].Value, StringComparison.Ordinal);
                if (at >= 0) return (i + 1, at + 1);
            }
        }
        return null;
    }

    private static string Describe(YamlException e, string yaml)
    {
        if (e.Message.Contains("Duplicate key", StringComparison.OrdinalIgnoreCase))
        {
            var key = KeyAt(yaml, (int)e.Start.Line, (int)e.Start.Column);
            return key is null ? "duplicate key in frontmatter" : $"duplicate key '{key}' (each key may appear once)";
        }
        return "invalid YAML: " + e.Message.Split('\n')[0].Trim();
    }

    /// <summary>The plain key written at a YAML position, for the duplicate-key message.</summary>
    private static string? KeyAt(string yaml, int line, int column)
    {
        var lines = yaml.Split('\n');
        if (line < 1 || line > lines.Length) return null;
        var text = lines[line - 1];
        var from = Math.Clamp(column - 1, 0, text.Length);
        var colon = text.IndexOf(':', from);
        var key = (colon < 0 ? text[from..] : text[from..colon]).Trim().Trim('"', '\'');
        if (key.StartsWith("- ", StringComparison.Ordinal)) key = key[2..].Trim();
        return key.Length == 0 ? null : key;
    }

    private static YNode Convert(YamlNode node, string path, int lineOffset)
    {
        var line = (int)node.Start.Line + lineOffset;
        var col = (int)node.Start.Column;
        switch (node)
        {
            case YamlScalarNode s:
                return new YScalar(s.Value ?? "", s.Style is ScalarStyle.Plain or ScalarStyle.Any, line, col);
            case YamlSequenceNode q:
                return new YSeq(q.Children.Select(c => Convert(c, path, lineOffset)).ToList(), line, col);
            case YamlMappingNode m:
                var entries = new List<YEntry>();
                foreach (var (k, v) in m.Children)
                {
                    var kl = (int)k.Start.Line + lineOffset;
                    var kc = (int)k.Start.Column;
                    if (k is not YamlScalarNode ks)
                        throw new DlmException(new SourceLocation(path, kl, kc), "frontmatter keys must be plain strings");
                    entries.Add(new YEntry(ks.Value ?? "", kl, kc, Convert(v, path, lineOffset)));
                }
                return new YMap(entries, line, col);
            default:
                throw new DlmException(new SourceLocation(path, line, col), "unsupported YAML node");
        }
    }
}
