using Dlm.Core;

namespace Dlm.Documents.Format;

/// <summary>
/// The grammar inside instruction and preference sections, checked at parse time with file
/// positions (upstream checks it only when building rows, without path or line).
/// Instruction: <c>### Q</c>, question lines, <c>### A</c>, answer lines, repeated; a header is
/// a line whose strip is exactly the header; a body runs to the next header and is stripped.
/// Preference: <c>### Prompt</c>, <c>### Chosen</c>, <c>### Rejected</c>, repeated.
/// </summary>
internal static class SectionGrammar
{
    private static readonly string[] QaHeaders = ["### Q", "### A"];
    private static readonly string[] PreferenceHeaders = ["### Prompt", "### Chosen", "### Rejected"];

    /// <param name="s">The section.</param>
    /// <param name="contentLine">File line of the content's first line.</param>
    /// <param name="path">The file, for errors.</param>
    public static Section Check(Section s, int contentLine, string path) => s.Type switch
    {
        SectionType.Instruction => s with { Pairs = Parse(s, contentLine, path, QaHeaders).Select(f => new QaPair(f[0], f[1])).ToList() },
        SectionType.Preference => s with { Triples = Parse(s, contentLine, path, PreferenceHeaders).Select(f => new PreferenceTriple(f[0], f[1], f[2])).ToList() },
        _ => s,
    };

    /// <summary>Reads groups of fields, one per header in <paramref name="headers"/> order.</summary>
    private static List<string[]> Parse(Section s, int contentLine, string path, string[] headers)
    {
        var lines = s.Content.Split('\n');
        var kind = s.Type.Name();
        DlmException Error(int i, string message)
        {
            var column = i < lines.Length ? 1 + lines[i].TakeWhile(PyText.IsSpace).Count() : 1;
            return new DlmException(new SourceLocation(path, contentLine + i, column), message);
        }

        RejectHeadersWithText(lines, headers, Error);

        var groups = new List<string[]>();
        var i = 0;
        SkipBlank(lines, ref i);
        while (i < lines.Length)
        {
            var fields = new string[headers.Length];
            var groupStart = i;
            for (var h = 0; h < headers.Length; h++)
            {
                var header = headers[h];
                if (i >= lines.Length)
                    throw Error(groupStart, $"`{headers[0]}` without `{header}` (the {kind} section ends first)");
                var line = PyText.Strip(lines[i]);
                if (line != header)
                {
                    if (h == 0 && Array.IndexOf(headers, line) > 0)
                        throw Error(i, $"`{line}` without a `{headers[0]}` before it");
                    if (h == 0)
                        throw Error(i, $"text outside a {(headers.Length == 2 ? "Q/A pair" : "preference triple")}: expected `{header}`, got '{Clip(lines[i])}'");
                    throw Error(i, $"`{headers[h - 1]}` must be followed by `{header}`, got `{line}`");
                }
                var headerAt = i;
                i++;
                var body = new List<string>();
                while (i < lines.Length && Array.IndexOf(headers, PyText.Strip(lines[i])) < 0) body.Add(lines[i++]);
                var text = PyText.Strip(string.Join('\n', body));
                if (text.Length == 0) throw Error(headerAt, $"`{header}` has an empty body");
                fields[h] = text;
            }
            groups.Add(fields);
            SkipBlank(lines, ref i);
        }
        if (groups.Count == 0)
            throw new DlmException(new SourceLocation(path, s.StartLine, 1),
                headers.Length == 2 ? "instruction section has no `### Q` / `### A` pairs" : "preference section has no `### Prompt` / `### Chosen` / `### Rejected` triples");
        return groups;
    }

    /// <summary>
    /// <c>### Q what is it?</c> reads like a header but is not one (upstream would silently fold it
    /// into the previous body): refused, outside code blocks, so the text goes on the next line.
    /// </summary>
    private static void RejectHeadersWithText(string[] lines, string[] headers, Func<int, string, DlmException> error)
    {
        var inCode = false;
        for (var i = 0; i < lines.Length; i++)
        {
            if (lines[i].StartsWith("```", StringComparison.Ordinal)) { inCode = !inCode; continue; }
            if (inCode) continue;
            var line = PyText.Strip(lines[i]);
            foreach (var h in headers)
            {
                if (line.Length > h.Length && line.StartsWith(h, StringComparison.Ordinal) && (PyText.IsSpace(line[h.Length]) || line[h.Length] == ':'))
                    throw error(i, $"`{h}` must be alone on its line (put the text on the next line), got '{Clip(line)}'");
            }
        }
    }

    private static void SkipBlank(string[] lines, ref int i)
    {
        while (i < lines.Length && PyText.IsBlank(lines[i])) i++;
    }

    private static string Clip(string s) => s.Length <= 60 ? s : s[..57] + "...";
}
