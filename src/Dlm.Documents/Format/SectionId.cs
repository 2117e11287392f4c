using System.Security.Cryptography;
using System.Text;

namespace Dlm.Documents.Format;

/// <summary>
/// Section ids exactly as upstream computes them: the first 16 hex digits (8 bytes) of
/// <c>sha256(type + "\n" + content)</c> over UTF-8, content untrimmed. Stores key replay and
/// the validation split on these ids, so they must not drift.
/// </summary>
public static class SectionId
{
    /// <summary>
    /// The id of a section of <paramref name="type"/> whose identity text is <paramref name="identity"/>:
    /// the content for text sections, the media path for image and audio (before its blob is ingested).
    /// </summary>
    public static string Compute(SectionType type, string identity)
    {
        // Upstream hashes normalize_for_hashing(content): one leading BOM dropped, CR/CRLF to LF.
        // Parsed content has no CR; a section whose content starts with U+FEFF is the one case left.
        if (identity.StartsWith('\uFEFF')) identity = identity[1..];
        identity = DlmText.Normalize(identity);
        var bytes = Encoding.UTF8.GetBytes(type.Name() + "\n" + identity);
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(bytes, hash);
        return Convert.ToHexStringLower(hash[..8]);
    }
}
