using Dlm.Core;

namespace Dlm.Documents.Format;

/// <summary>
/// Reads <c>.dlm</c> documents (shared/REFERENCE.md R2). Every problem is a
/// <see cref="DlmException"/> formatted <c>path:line:col: message</c>.
/// </summary>
public static class DlmDocumentReader
{
    /// <summary>Reads and parses the file at <paramref name="path"/>.</summary>
    /// <exception cref="DlmException">The file is missing, unreadable, or not a valid document.</exception>
    public static DlmDocument ReadFile(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new DlmException($"{path}: no such file");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new DlmException($"{path}: cannot read: {e.Message}");
        }
        return Parse(bytes, path);
    }

    /// <summary>Parses a document from its bytes; <paramref name="path"/> only names it in messages.</summary>
    public static DlmDocument Parse(byte[] bytes, string path)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        var text = DlmText.Decode(bytes, path);
        return ParseText(text, bytes, path);
    }

    /// <summary>Parses already decoded text (as if read from a UTF-8 file without BOM).</summary>
    public static DlmDocument ParseText(string text, string path)
    {
        ArgumentNullException.ThrowIfNull(text);
        var bytes = new System.Text.UTF8Encoding(false).GetBytes(text);
        return Parse(bytes, path);
    }

    private static DlmDocument ParseText(string text, byte[] bytes, string path)
    {
        var lines = text.Split('\n');
        if (lines[0] != "---")
            throw new DlmException(new SourceLocation(path, 1, 1),
                $"expected '---' on line 1 to open the frontmatter, got '{Clip(lines[0])}'");
        var close = Array.IndexOf(lines, "---", 1);
        if (close < 0)
            throw new DlmException(new SourceLocation(path, 1, 1), "no closing '---' line for the frontmatter opened here");

        var yaml = string.Join('\n', lines[1..close]);
        var body = string.Join('\n', lines[(close + 1)..]);
        var bodyStartLine = close + 2;

        var ctx = new BindContext(path);
        var root = PyText.IsBlank(yaml) ? null : YamlTree.Load(yaml, path, lineOffset: 1);
        var frontmatter = FrontmatterBinder.Bind(root, ctx, frontmatterLine: 2);
        var sections = BodyParser.Parse(body, bodyStartLine, path);

        foreach (var s in sections.Where(s => s.Type is SectionType.Image or SectionType.Audio))
            ctx.Warn(s.StartLine, 1, $"::{s.Type.Name()}:: sections are accepted but not trained by dlm yet");
        var warnings = ctx.Warnings.OrderBy(w => w.Location.Line).ThenBy(w => w.Location.Column).ToList();
        return new DlmDocument(path, bytes, text, bodyStartLine, frontmatter, sections, warnings);
    }

    private static string Clip(string s) => s.Length <= 40 ? s : s[..37] + "...";
}
