namespace Dlm.Data.Sources;

/// <summary>
/// The Brown corpus as running text: every whitespace-separated <c>word/tag</c> loses its last
/// <c>/tag</c>, words are joined by one space (the rule of tools/reference/brown.mjs and the test
/// suite's reference reader).
/// </summary>
public static class BrownText
{
    /// <summary>Whether <paramref name="fileName"/> is a corpus file (<c>ca01</c> … <c>cr09</c>).</summary>
    public static bool IsCorpusFile(string fileName) =>
        fileName.Length == 4 && fileName[0] == 'c' && fileName[1] is >= 'a' and <= 'r' && char.IsAsciiDigit(fileName[2]) && char.IsAsciiDigit(fileName[3]);

    /// <summary>One line with its tags removed (empty for a blank line).</summary>
    public static string StripTags(string line)
    {
        ArgumentNullException.ThrowIfNull(line);
        var sb = new System.Text.StringBuilder(line.Length);
        AppendStripped(line, sb);
        return sb.ToString();
    }

    /// <summary>Appends <paramref name="line"/> with its tags removed, words separated by one space.</summary>
    public static void AppendStripped(ReadOnlySpan<char> line, System.Text.StringBuilder sb)
    {
        ArgumentNullException.ThrowIfNull(sb);
        int i = 0;
        bool first = true;
        while (i < line.Length)
        {
            while (i < line.Length && char.IsWhiteSpace(line[i])) i++;
            int start = i;
            while (i < line.Length && !char.IsWhiteSpace(line[i])) i++;
            if (i == start) break;
            var word = line[start..i];
            int slash = word.LastIndexOf('/');
            if (slash > 0) word = word[..slash];
            if (!first) sb.Append(' ');
            sb.Append(word);
            first = false;
        }
    }

    // The ASCII characters char.IsWhiteSpace accepts (what string.Split(null) splits on).
    private static readonly System.Buffers.SearchValues<byte> AsciiSpaces =
        System.Buffers.SearchValues.Create(Enumerable.Range(0, 128).Where(c => char.IsWhiteSpace((char)c)).Select(c => (byte)c).ToArray());

    /// <summary>
    /// The running text of one corpus file's bytes: each line stripped of its tags, blank lines
    /// dropped, lines joined by <c>\n</c>, as UTF-8. ASCII lines (all of Brown) are stripped byte by
    /// byte without building strings; any other line goes through <see cref="AppendStripped"/>.
    /// Stripping only removes bytes, so the output never outgrows the input.
    /// </summary>
    public static byte[] StripFile(ReadOnlySpan<byte> file)
    {
        var output = new byte[file.Length];
        int n = 0;
        var sb = new System.Text.StringBuilder();
        while (!file.IsEmpty)
        {
            int nl = file.IndexOf((byte)'\n');
            var line = nl < 0 ? file : file[..nl];
            file = nl < 0 ? default : file[(nl + 1)..];
            int mark = n;
            if (n > 0) output[n++] = (byte)'\n';
            int start = n;
            if (System.Text.Ascii.IsValid(line)) n = AppendStrippedAscii(line, output, n);
            else
            {
                sb.Clear();
                AppendStripped(System.Text.Encoding.UTF8.GetString(line), sb);
                n += System.Text.Encoding.UTF8.GetBytes(sb.ToString(), output.AsSpan(n));
            }
            if (n == start) n = mark;
        }
        return output[..n];
    }

    private static int AppendStrippedAscii(ReadOnlySpan<byte> line, byte[] output, int n)
    {
        int i = 0;
        bool first = true;
        while (i < line.Length)
        {
            int skip = line[i..].IndexOfAnyExcept(AsciiSpaces);
            if (skip < 0) break;
            i += skip;
            int len = line[i..].IndexOfAny(AsciiSpaces);
            var word = len < 0 ? line[i..] : line.Slice(i, len);
            i += word.Length;
            int slash = word.LastIndexOf((byte)'/');
            if (slash > 0) word = word[..slash];
            if (!first) output[n++] = (byte)' ';
            word.CopyTo(output.AsSpan(n));
            n += word.Length;
            first = false;
        }
        return n;
    }
}
