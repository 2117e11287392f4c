using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Dlm.Documents.Descent;
using Dlm.Documents.Format;

namespace Dlm.Cli.Output;

/// <summary>The human view of `dlm show`: frontmatter with defaults marked, then one line per section.</summary>
internal static class DocumentText
{
    public static IEnumerable<string> Lines(DlmDocument doc)
    {
        var f = doc.Frontmatter;
        var version = f.WrittenVersion == f.DlmVersion ? $"schema v{f.DlmVersion}" : $"schema v{f.DlmVersion}, migrated from v{f.WrittenVersion}";
        yield return $"{doc.Path}: dlm_id {f.DlmId} ({version})";
        yield return "";
        yield return "frontmatter (* = set in the document; the rest are defaults):";
        foreach (var line in Tree(DocumentJson.Frontmatter(f), "", 1, f)) yield return line;
        yield return "";

        var counts = doc.Sections.GroupBy(s => s.Type).Select(g => $"{g.Count()} {g.Key.Name()}");
        var pairs = doc.Sections.Sum(s => s.Pairs.Count);
        var triples = doc.Sections.Sum(s => s.Triples.Count);
        var tally = string.Join(", ", counts.Append(Plural(pairs, "Q/A pair")).Append(Plural(triples, "preference triple")));
        yield return $"{Plural(doc.Sections.Count, "section")} ({tally})";
        var width = doc.Sections.Count == 0 ? 4 : doc.Sections.Max(s => s.StartLine).ToString(CultureInfo.InvariantCulture).Length;
        foreach (var s in doc.Sections)
        {
            var line = s.StartLine.ToString(CultureInfo.InvariantCulture).PadLeft(width);
            var adapter = s.Adapter is null ? "" : $" #{s.Adapter}";
            yield return $"  line {line}  {s.Type.Name(),-11} {s.Id}{adapter}  {Preview(s)}";
        }
    }

    /// <summary>Kept files, then skipped ones with their reason, then the count per reason.</summary>
    public static IEnumerable<string> DescentLines(DescentReport d)
    {
        var reasons = string.Join(", ", d.SkippedByReason.Where(r => r.Count > 0).Select(r => $"{r.Reason.Name()} {r.Count}"));
        yield return $"descent: {Plural(d.Kept.Count, "file")} kept, {d.Skipped.Count} skipped" + (reasons.Length > 0 ? $" ({reasons})" : "");
        foreach (var k in d.Kept) yield return $"  kept     {k.RelativePath}";
        foreach (var s in d.Skipped) yield return $"  skipped  {s.RelativePath} ({s.Reason.Name()})";
    }

    private static string Preview(Section s) => s.Type switch
    {
        SectionType.Instruction => $"{Plural(s.Pairs.Count, "Q/A pair")}: {Quote(s.Pairs[0].Question)}",
        SectionType.Preference => $"{Plural(s.Triples.Count, "triple")}: {Quote(s.Triples[0].Prompt)}",
        SectionType.Image or SectionType.Audio => $"{s.MediaPath}" + (s.Content.Length > 0 ? $" {Quote(s.Content)}" : ""),
        _ => Quote(s.Content),
    };

    private static string Plural(int n, string what) => n == 1 ? $"1 {what}" : $"{n} {what}s";

    /// <summary>The first 60 characters of the text on one line, in quotes.</summary>
    private static string Quote(string text)
    {
        var one = string.Join(' ', text.Split((char[])['\n', '\t', '\r'], StringSplitOptions.RemoveEmptyEntries).Select(p => p.Trim()).Where(p => p.Length > 0));
        return JsonSerializer.Serialize(one.Length <= 60 ? one : one[..57] + "...", Json.Compact);
    }

    private static IEnumerable<string> Tree(JsonObject node, string prefix, int depth, DlmFrontmatter f)
    {
        foreach (var (key, value) in node)
        {
            var dotted = prefix.Length == 0 ? key : $"{prefix}.{key}";
            var mark = f.IsExplicit(dotted) ? "* " : "  ";
            var indent = new string(' ', depth * 2);
            if (value is JsonObject child && child.Count > 0)
            {
                yield return $"{indent}{mark}{key}:";
                foreach (var line in Tree(child, dotted, depth + 1, f)) yield return line;
            }
            else
            {
                yield return $"{indent}{mark}{key}: {(value is null ? "null" : value.ToJsonString(Json.Compact))}";
            }
        }
    }
}
