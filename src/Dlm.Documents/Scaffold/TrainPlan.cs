using System.Globalization;
using Dlm.Documents.Descent;
using Dlm.Documents.Format;

namespace Dlm.Documents.Scaffold;

/// <summary>
/// What <c>dlm train</c> would train for a resolved document: its id and base, its sections,
/// and the descent over its <c>training.sources</c> (kept files, skipped ones by reason). Building
/// it reads files only; it writes nothing.
/// </summary>
public sealed class TrainPlan
{
    private TrainPlan(string documentPath, DlmDocument document, DescentReport? descent)
    {
        DocumentPath = documentPath;
        Document = document;
        Descent = descent;
    }

    /// <summary>The document as printed.</summary>
    public string DocumentPath { get; }

    /// <summary>The parsed document.</summary>
    public DlmDocument Document { get; }

    /// <summary>The descent over <c>training.sources</c>; null when the document has none.</summary>
    public DescentReport? Descent { get; }

    /// <summary>Parses nothing: takes the parsed <paramref name="document"/> and runs its descent (a directive error throws).</summary>
    public static TrainPlan For(string documentPath, DlmDocument document)
    {
        ArgumentNullException.ThrowIfNull(document);
        var t = document.Frontmatter.Training;
        var descent = t.Sources is { Count: > 0 } sources
            ? DirectoryDescent.Run(document.Path, sources, t.SourcesPolicy)
            : null;
        return new TrainPlan(documentPath, document, descent);
    }

    /// <summary>The report, one line each: document, id, base, sections, sources, kept files, skips by reason.</summary>
    public IEnumerable<string> ToLines()
    {
        var fm = Document.Frontmatter;
        yield return $"document: {DocumentPath}";
        yield return $"dlm_id: {fm.DlmId}";
        yield return $"base_model: {fm.BaseModel}";
        var byType = SectionTypes.All
            .Select(ty => (ty, n: Document.Sections.Count(s => s.Type == ty)))
            .Where(x => x.n > 0)
            .Select(x => $"{x.ty.Name()} {x.n}");
        var typesText = string.Join(", ", byType);
        yield return $"sections: {Document.Sections.Count}" + (typesText.Length > 0 ? $" ({typesText})" : "");
        if (Descent is null)
        {
            yield return "sources: none";
            yield break;
        }
        var bytes = Descent.Kept.Sum(k => (long)k.Utf8.Length);
        yield return string.Create(CultureInfo.InvariantCulture,
            $"sources: {fm.Training.Sources!.Count} directive(s), policy {(fm.Training.SourcesPolicy == SourcesPolicy.Strict ? "strict" : "permissive")}: {Descent.Kept.Count} file(s) kept ({bytes} bytes of text), {Descent.Skipped.Count} skipped");
        foreach (var k in Descent.Kept) yield return $"  kept {k.RelativePath}";
        var reasons = Descent.SkippedByReason.Where(r => r.Count > 0).Select(r => $"{r.Reason.Name()} {r.Count}");
        var reasonText = string.Join(", ", reasons);
        yield return "skipped by reason: " + (reasonText.Length > 0 ? reasonText : "none");
    }
}
