namespace Dlm.Data.Sources;

/// <summary>
/// Strips the Project Gutenberg licence header and footer from a plain-text book: the text between
/// the <c>*** START OF THE/THIS PROJECT GUTENBERG EBOOK ... ***</c> line and the <c>*** END OF ...</c>
/// line (older books: <c>*END*THE SMALL PRINT!</c> and <c>End of (the) Project Gutenberg...</c>).
/// </summary>
public static class GutenbergText
{
    /// <summary>The body of the book, trimmed; null when no start marker is found.</summary>
    public static string? Body(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var lines = text.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n');
        int start = -1, end = lines.Length;
        for (int i = 0; i < lines.Length; i++)
        {
            var l = lines[i].Trim();
            if (start < 0 && IsStart(l)) { start = i + 1; continue; }
            if (start >= 0 && IsEnd(l)) { end = i; break; }
        }
        if (start < 0) return null;
        return string.Join('\n', lines[start..end]).Trim();
    }

    private static bool IsStart(string l) =>
        (l.StartsWith("***", StringComparison.Ordinal) && l.Contains("START OF", StringComparison.OrdinalIgnoreCase)
            && l.Contains("PROJECT GUTENBERG", StringComparison.OrdinalIgnoreCase))
        || l.StartsWith("*END*THE SMALL PRINT", StringComparison.OrdinalIgnoreCase);

    private static bool IsEnd(string l) =>
        (l.StartsWith("***", StringComparison.Ordinal) && l.Contains("END OF", StringComparison.OrdinalIgnoreCase)
            && l.Contains("PROJECT GUTENBERG", StringComparison.OrdinalIgnoreCase))
        || l.StartsWith("End of the Project Gutenberg", StringComparison.OrdinalIgnoreCase)
        || l.StartsWith("End of Project Gutenberg", StringComparison.OrdinalIgnoreCase);
}
