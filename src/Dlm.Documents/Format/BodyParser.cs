using System.Text.RegularExpressions;
using Dlm.Core;

namespace Dlm.Documents.Format;

/// <summary>
/// Splits a document body into sections (shared/REFERENCE.md R2): fences
/// <c>^::([A-Za-z0-9_#-]+)::$</c> with an optional <c>#adapter</c>, attribute fences for image
/// and audio, backtick code blocks that hide fences, untrimmed content, whitespace-only prose
/// dropped, provenance markers lifted. Instruction and preference grammar is checked here.
/// </summary>
internal static partial class BodyParser
{
    /// <summary>Attribute keys per media type: (required, allowed).</summary>
    private static readonly Dictionary<SectionType, (string[] Required, string[] Allowed)> AttributeSpec = new()
    {
        [SectionType.Image] = (["path"], ["path", "alt"]),
        [SectionType.Audio] = (["path", "transcript"], ["path", "transcript"]),
    };

    /// <param name="body">Everything after the closing <c>---</c> line.</param>
    /// <param name="bodyStartLine">File line of the body's first line.</param>
    /// <param name="path">The file, for errors.</param>
    public static List<Section> Parse(string body, int bodyStartLine, string path)
    {
        // One leading and one trailing newline belong to the layout, not to any section.
        if (body.StartsWith('\n')) { body = body[1..]; bodyStartLine++; }
        if (body.EndsWith('\n')) body = body[..^1];
        var lines = body.Length == 0 ? [] : body.Split('\n');

        var sections = new List<Section>();
        var inCode = false;
        var codeOpenedAt = 0;
        var type = SectionType.Prose;
        string? adapter = null, fence = null;
        IReadOnlyDictionary<string, string> attributes = new Dictionary<string, string>();
        var current = new List<string>();
        var start = bodyStartLine;

        void Flush()
        {
            var content = string.Join('\n', current);
            if (type == SectionType.Prose && PyText.IsBlank(content)) return;
            var contentLine = fence is null ? start : start + 1;
            var section = new Section(type, content, start, adapter, fence) { Attributes = attributes };
            sections.Add(SectionGrammar.Check(LiftMarker(section, ref contentLine), contentLine, path));
        }

        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i];
            var lineNo = bodyStartLine + i;
            if (line.StartsWith("```", StringComparison.Ordinal))
            {
                inCode = !inCode;
                if (inCode) codeOpenedAt = lineNo;
                current.Add(line);
                continue;
            }
            if (!inCode)
            {
                var attr = AttributeFence().Match(line);
                if (attr.Success)
                {
                    var (t, attrs) = ResolveAttributeFence(attr, lineNo, path);
                    Flush();
                    (type, adapter, fence, attributes, current, start) = (t, null, line, attrs, [], lineNo);
                    continue;
                }
                var bare = Fence().Match(line);
                if (bare.Success)
                {
                    var (t, a) = ResolveFence(bare.Groups[1].Value, lineNo, path);
                    Flush();
                    (type, adapter, fence, attributes, current, start) = (t, a, line, new Dictionary<string, string>(), [], lineNo);
                    continue;
                }
            }
            current.Add(line);
        }
        if (inCode)
            throw new DlmException(new SourceLocation(path, codeOpenedAt, 1), "unterminated ``` code block (opened here, never closed)");
        Flush();
        return sections;
    }

    private static (SectionType, string?) ResolveFence(string name, int line, string path)
    {
        string baseName = name;
        string? adapter = null;
        var hash = name.IndexOf('#', StringComparison.Ordinal);
        if (hash >= 0)
        {
            baseName = name[..hash];
            adapter = name[(hash + 1)..];
            if (adapter.Length == 0)
                throw FenceError(path, line, $"fence '::{name}::' has an empty adapter name after '#'");
            if (!AdapterName().IsMatch(adapter))
                throw FenceError(path, line, $"fence '::{name}::' has an invalid adapter name '{adapter}' (must match ^[a-z][a-z0-9_]{{0,31}}$)");
        }
        var type = SectionTypes.Parse(baseName)
                   ?? throw FenceError(path, line, $"unknown section fence '::{name}::'; valid types are {ValidTypes}");
        if (AttributeSpec.ContainsKey(type))
            throw FenceError(path, line, $"fence '::{name}::' needs attributes, e.g. ::{type.Name()} path=\"...\"::");
        return (type, adapter);
    }

    private static (SectionType, Dictionary<string, string>) ResolveAttributeFence(Match m, int line, string path)
    {
        var name = m.Groups[1].Value;
        var type = SectionTypes.Parse(name)
                   ?? throw FenceError(path, line, $"unknown section fence '::{name} ...::'; valid types are {ValidTypes}");
        if (!AttributeSpec.TryGetValue(type, out var spec))
            throw FenceError(path, line, $"fence '::{name} ...::' does not take attributes (only image and audio do)");
        var attrs = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (Match kv in AttributePair().Matches(m.Groups[2].Value))
        {
            var key = kv.Groups[1].Value;
            var value = kv.Groups[2].Value;
            if (attrs.ContainsKey(key)) throw FenceError(path, line, $"fence '::{name} ...::' repeats attribute '{key}'");
            if (!spec.Allowed.Contains(key))
                throw FenceError(path, line, $"fence '::{name} ...::' has unknown attribute '{key}' (allowed: {string.Join(", ", spec.Allowed)})");
            if (!value.All(char.IsAscii))
                throw FenceError(path, line, $"fence '::{name} ...::' attribute '{key}' contains non-ASCII characters");
            attrs[key] = value;
        }
        var missing = spec.Required.Where(k => !attrs.ContainsKey(k)).ToList();
        if (missing.Count > 0)
            throw FenceError(path, line, $"fence '::{name} ...::' is missing required attribute(s) {string.Join(", ", missing)}");
        return (type, attrs);
    }

    /// <summary>Moves an upstream provenance comment on a fenced section's first line out of its content.</summary>
    private static Section LiftMarker(Section s, ref int contentLine)
    {
        if (s.Fence is null) return s;
        var newline = s.Content.IndexOf('\n', StringComparison.Ordinal);
        var first = newline < 0 ? s.Content : s.Content[..newline];
        var m = Marker().Match(first);
        if (!m.Success) return s;
        var kind = m.Groups[1].Value;
        var applies = kind switch
        {
            "harvest" => s.Type is not (SectionType.Prose or SectionType.Image),
            "synth" => s.Type is SectionType.Instruction,
            "mined" => s.Type is SectionType.Preference,
            _ => false,
        };
        if (!applies) return s;
        var attrs = AttributePair().Matches(m.Groups[2].Value).ToDictionary(x => x.Groups[1].Value, x => x.Groups[2].Value, StringComparer.Ordinal);
        contentLine++;
        return s with { Content = newline < 0 ? "" : s.Content[(newline + 1)..], Marker = new SectionMarker(kind, first, attrs) };
    }

    private static string ValidTypes => string.Join(", ", SectionTypes.All.Select(t => t.Name()));

    private static DlmException FenceError(string path, int line, string message) => new(new SourceLocation(path, line, 1), message);

    [GeneratedRegex("^::([A-Za-z0-9_#-]+)::$", RegexOptions.CultureInvariant)]
    private static partial Regex Fence();

    [GeneratedRegex("^::([a-z][a-z0-9_]*)((?:\\s+[a-z][a-z0-9_]*=\"[^\"\\n]*\")+)\\s*::$", RegexOptions.CultureInvariant)]
    private static partial Regex AttributeFence();

    [GeneratedRegex("([a-z][a-z0-9_]*)=\"([^\"\\n]*)\"", RegexOptions.CultureInvariant)]
    private static partial Regex AttributePair();

    [GeneratedRegex("^[a-z][a-z0-9_]{0,31}$", RegexOptions.CultureInvariant)]
    private static partial Regex AdapterName();

    [GeneratedRegex("^<!-- dlm-auto-(harvest|synth|mined):((?:\\s+[a-z][a-z0-9_]*=\"[^\"\\n]*\")*) -->$", RegexOptions.CultureInvariant)]
    private static partial Regex Marker();
}
