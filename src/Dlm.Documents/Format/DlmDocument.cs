namespace Dlm.Documents.Format;

/// <summary>
/// A parsed <c>.dlm</c> document: resolved frontmatter, sections, warnings, and the exact
/// bytes it was read from (so an unmodified document writes back byte for byte).
/// </summary>
public sealed class DlmDocument
{
    internal DlmDocument(string path, byte[] source, string text, int bodyStartLine, DlmFrontmatter frontmatter,
        IReadOnlyList<Section> sections, IReadOnlyList<DlmWarning> warnings)
    {
        Path = path;
        _source = source;
        Text = text;
        BodyStartLine = bodyStartLine;
        Frontmatter = frontmatter;
        Sections = sections;
        Warnings = warnings;
    }

    private readonly byte[] _source;

    /// <summary>The path as given to the reader (used in messages).</summary>
    public string Path { get; }

    /// <summary>The file's bytes exactly as read.</summary>
    public ReadOnlySpan<byte> SourceBytes => _source;

    /// <summary>The decoded text: BOM dropped, line breaks as LF.</summary>
    public string Text { get; }

    /// <summary>File line of the first line after the closing <c>---</c>.</summary>
    public int BodyStartLine { get; }

    /// <summary>The frontmatter, migrated to the current schema with every default resolved.</summary>
    public DlmFrontmatter Frontmatter { get; }

    /// <summary>The body's sections in document order.</summary>
    public IReadOnlyList<Section> Sections { get; }

    /// <summary>Things accepted but not acted on (each reported once), in document order.</summary>
    public IReadOnlyList<DlmWarning> Warnings { get; }
}
