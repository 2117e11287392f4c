using System.Text;
using Dlm.Core;

namespace Dlm.Data.Sources;

/// <summary>File helpers every source uses: listing a path in a stable order and streaming lines with byte counts.</summary>
public static class SourceFiles
{
    private static readonly UTF8Encoding StrictUtf8 = new(false, throwOnInvalidBytes: true);

    /// <summary>
    /// The files of <paramref name="path"/>: the file itself, or the files of a folder matching
    /// <paramref name="pattern"/> (searched recursively), sorted by their path relative to it.
    /// </summary>
    /// <exception cref="DlmException">The path does not exist, or a folder holds no matching file.</exception>
    public static IReadOnlyList<string> List(string source, string path, string pattern)
    {
        if (File.Exists(path)) return [path];
        if (!Directory.Exists(path)) throw new DlmException($"source {source}: path not found: {path}");
        var files = Directory.EnumerateFiles(path, pattern, SearchOption.AllDirectories)
            .Where(f => !Path.GetFileName(f).StartsWith('.'))
            .OrderBy(f => Path.GetRelativePath(path, f).Replace('\\', '/'), StringComparer.Ordinal)
            .ToList();
        if (files.Count == 0) throw new DlmException($"source {source}: no {pattern} files under {path}");
        return files;
    }

    /// <summary>Total size of <paramref name="files"/> in bytes.</summary>
    public static long TotalBytes(IEnumerable<string> files) => files.Sum(f => new FileInfo(f).Length);

    /// <summary>
    /// Streams the lines of a UTF-8 file with 1-based line numbers, adding consumed bytes to
    /// <paramref name="context"/>. A line that is not valid UTF-8 is reported as malformed and skipped.
    /// </summary>
    public static IEnumerable<(int Line, string Text)> ReadLines(string path, SourceReadContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        using var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan);
        var buffer = new byte[1 << 20];
        int filled = 0, lineNo = 0;
        long reported = 0;
        while (true)
        {
            int n = fs.Read(buffer, filled, buffer.Length - filled);
            filled += n;
            int start = 0;
            // Whole lines in the buffer are decoded in place; a partial last line moves to the front.
            while (true)
            {
                int nl = buffer.AsSpan(start, filled - start).IndexOf((byte)'\n');
                if (nl < 0) break;
                lineNo++;
                if (Decode(buffer.AsSpan(start, nl), path, lineNo, context) is { } text) yield return (lineNo, text);
                start += nl + 1;
            }
            context.AddBytes(fs.Position - reported);
            reported = fs.Position;
            if (n == 0)
            {
                if (filled > start)
                {
                    lineNo++;
                    if (Decode(buffer.AsSpan(start, filled - start), path, lineNo, context) is { } text) yield return (lineNo, text);
                }
                yield break;
            }
            Buffer.BlockCopy(buffer, start, buffer, 0, filled - start);
            filled -= start;
            if (filled == buffer.Length) Array.Resize(ref buffer, buffer.Length * 2); // a line longer than the buffer
        }
    }

    private static string? Decode(ReadOnlySpan<byte> span, string path, int lineNo, SourceReadContext context)
    {
        if (span.Length > 0 && span[^1] == (byte)'\r') span = span[..^1];
        try
        {
            return StrictUtf8.GetString(span);
        }
        catch (DecoderFallbackException)
        {
            context.ReportMalformed($"{path}:{lineNo}", "not valid UTF-8");
            return null;
        }
    }

    /// <summary>Reads a whole UTF-8 file (one leading BOM dropped), or null (reported as malformed) when it is not UTF-8.</summary>
    public static string? ReadText(string path, SourceReadContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var bytes = File.ReadAllBytes(path);
        context.AddBytes(bytes.Length);
        var span = bytes.AsSpan();
        if (span.StartsWith("\uFEFF"u8)) span = span[3..];
        try
        {
            return StrictUtf8.GetString(span);
        }
        catch (DecoderFallbackException e)
        {
            context.ReportMalformed(path, $"not valid UTF-8 (byte {e.Index})");
            return null;
        }
    }

    /// <summary>
    /// The indices of <paramref name="count"/> items that go to validation: the first
    /// <c>max(1, floor(count * valFrac))</c> of a seeded permutation (none for fewer than two items
    /// or a zero fraction), as niels-gpt splits files and examples.
    /// </summary>
    public static HashSet<int> ValIndices(int count, double valFrac, long seed)
    {
        var set = new HashSet<int>();
        if (count < 2 || valFrac <= 0) return set;
        var perm = SeededRandom.Permutation(count, seed);
        int numVal = Math.Max(1, (int)(count * valFrac));
        for (int i = 0; i < numVal; i++) set.Add(perm[i]);
        return set;
    }
}
