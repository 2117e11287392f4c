using System.Buffers;
using System.Text;
using System.Text.Unicode;
using Dlm.Core;

namespace Dlm.Documents.Format;

/// <summary>
/// Turns a <c>.dlm</c> file's bytes into the text the parser reads (shared/REFERENCE.md R2):
/// strict UTF-8 (an invalid byte is an error giving its offset), one leading byte order mark
/// dropped, CRLF and then lone CR turned into LF.
/// </summary>
public static class DlmText
{
    private static readonly byte[] Bom = [0xEF, 0xBB, 0xBF];

    /// <summary>Decodes and normalises <paramref name="bytes"/>; <paramref name="path"/> names the file in errors.</summary>
    /// <exception cref="DlmException">The bytes are not valid UTF-8: <c>path:line:col: invalid UTF-8 ...</c>, the column counted in bytes.</exception>
    public static string Decode(ReadOnlySpan<byte> bytes, string path)
    {
        var start = bytes.StartsWith(Bom) ? Bom.Length : 0;
        var body = bytes[start..];
        var chars = ArrayPool<char>.Shared.Rent(Math.Max(1, body.Length));
        try
        {
            var status = Utf8.ToUtf16(body, chars, out var read, out var written, replaceInvalidSequences: false);
            if (status != OperationStatus.Done)
                throw InvalidByte(bytes, start + read, path);
            return Normalize(chars.AsSpan(0, written));
        }
        finally
        {
            ArrayPool<char>.Shared.Return(chars);
        }
    }

    /// <summary>CRLF to LF first, then any lone CR to LF (so <c>\r\r\n</c> becomes two line breaks, as upstream).</summary>
    internal static string Normalize(ReadOnlySpan<char> text)
    {
        if (!text.Contains('\r')) return new string(text);
        var sb = new StringBuilder(text.Length);
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c != '\r') { sb.Append(c); continue; }
            sb.Append('\n');
            if (i + 1 < text.Length && text[i + 1] == '\n') i++;
        }
        return sb.ToString();
    }

    private static DlmException InvalidByte(ReadOnlySpan<byte> bytes, int offset, string path)
    {
        // Line and byte column of the offending byte in the raw file, so an editor can jump there.
        var before = bytes[..offset];
        var line = 1 + before.Count((byte)'\n');
        var lastNewline = before.LastIndexOf((byte)'\n');
        var column = offset - lastNewline;
        var what = offset < bytes.Length ? $"byte 0x{bytes[offset]:X2}" : "end of file inside a multi-byte sequence";
        return new DlmException(new SourceLocation(path, line, column),
            $"invalid UTF-8: {what} at byte offset {offset}");
    }
}
