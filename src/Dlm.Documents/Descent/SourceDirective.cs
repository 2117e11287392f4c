namespace Dlm.Documents.Descent;

/// <summary>
/// One entry of a document's <c>training.sources</c> list (shared/REFERENCE.md R2): a file or
/// folder to walk, with the globs and limits that choose which files become prose.
/// </summary>
/// <param name="Path">The path as written in the frontmatter (relative, absolute or <c>~</c>-prefixed).</param>
/// <param name="Include">Include globs; the schema default is <c>["**/*"]</c>.</param>
/// <param name="Exclude">Exclude globs; the schema default is empty.</param>
/// <param name="MaxBytesPerFile">Files larger than this are skipped as <c>over_size</c>; null means no limit.</param>
/// <param name="MaxFiles">At most this many files are kept; later ones are skipped as <c>max_files</c>; null means no limit.</param>
public sealed record SourceDirective(
    string Path,
    IReadOnlyList<string> Include,
    IReadOnlyList<string> Exclude,
    long? MaxBytesPerFile = null,
    int? MaxFiles = null);

/// <summary>How descent treats files whose real path lies outside the document's anchor folder.</summary>
public enum SourcesPolicy
{
    /// <summary>Allowed, with a warning (the schema default).</summary>
    Permissive,

    /// <summary>Refused, naming the file (what the scaffold writes and the CLI defaults to).</summary>
    Strict,
}
