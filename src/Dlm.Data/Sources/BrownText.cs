using System.Buffers;
using System.Numerics;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

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
    private static readonly SearchValues<byte> AsciiSpaces =
        SearchValues.Create(Enumerable.Range(0, 128).Where(c => char.IsWhiteSpace((char)c)).Select(c => (byte)c).ToArray());

    /// <summary>
    /// The running text of one corpus file's bytes: each line stripped of its tags, blank lines
    /// dropped, lines joined by <c>\n</c>, as UTF-8. ASCII lines (all of Brown) are stripped byte by
    /// byte without building strings; any other line goes through <see cref="AppendStripped"/>.
    /// Stripping only removes bytes, so the output never outgrows the input.
    /// </summary>
    public static byte[] StripFile(ReadOnlySpan<byte> file)
    {
        var output = new byte[file.Length];
        int n = System.Text.Ascii.IsValid(file) ? StripAsciiFile(file, output) : StripFileByLine(file, output);
        return output[..n];
    }

    /// <summary>
    /// <see cref="StripFile"/> decoded: the document text of one corpus file. It costs a fraction of
    /// tokenizing the text (a cache build reads every file once): an ASCII file (all of Brown) is
    /// stripped in one pass over its bytes into a pooled buffer and widened straight into the string.
    /// </summary>
    /// <exception cref="System.Text.DecoderFallbackException">The stripped text is not valid UTF-8.</exception>
    public static string StripFileToString(ReadOnlySpan<byte> file)
    {
        var output = ArrayPool<byte>.Shared.Rent(Math.Max(1, file.Length));
        try
        {
            if (System.Text.Ascii.IsValid(file))
                return System.Text.Encoding.Latin1.GetString(output, 0, StripAsciiFile(file, output)); // ASCII: one char per byte
            return StrictUtf8.GetString(output, 0, StripFileByLine(file, output));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(output);
        }
    }

    private static readonly System.Text.UTF8Encoding StrictUtf8 = new(false, throwOnInvalidBytes: true);

    // An all-ASCII file without a per-byte loop: one vector pass marks the spaces, slashes and line
    // breaks of every 64 bytes in three bit masks; then each word is found, cut and copied with a few
    // bit operations. A word is a run of non-spaces, cut at its last '/' when that is not its first
    // byte; words are separated by '\n' when a line break came between them (so blank lines vanish),
    // else by one space: the output of StripFileByLine, which the tests check on Brown.
    private static int StripAsciiFile(ReadOnlySpan<byte> file, byte[] output)
    {
        int len = file.Length;
        int words = (len >> 6) + 2; // the last word lies wholly past the end: all spaces, so scans stop there
        var rented = ArrayPool<ulong>.Shared.Rent(3 * words);
        try
        {
            var spaces = rented.AsSpan(0, words);
            var slashes = rented.AsSpan(words, words);
            var newlines = rented.AsSpan(2 * words, words);
            Masks(file, spaces, slashes, newlines);
            int o = 0, p = 0;
            while (true)
            {
                int start = NextClear(spaces, p, len);
                if (start >= len) break;
                if (o > 0) output[o++] = AnySet(newlines, p, start) ? (byte)'\n' : (byte)' ';
                int end = NextSet(spaces, start + 1);
                int cut = LastSet(slashes, start + 1, end);
                int n = (cut > 0 ? cut : end) - start;
                // The output never outruns the input (o <= start), so a 16-byte store at o stays inside it.
                if (n <= 16 && start + 16 <= len)
                    Vector128.LoadUnsafe(ref MemoryMarshal.GetReference(file), (nuint)start)
                        .StoreUnsafe(ref output[0], (nuint)o);
                else file.Slice(start, n).CopyTo(output.AsSpan(o));
                o += n;
                p = end;
            }
            return o;
        }
        finally
        {
            ArrayPool<ulong>.Shared.Return(rented);
        }
    }

    // Bit i of word w is byte 64w+i. The spaces are char.IsWhiteSpace's ASCII set, 9..13 and 32 (a
    // test checks that this is the set); bytes past the end count as spaces.
    private static void Masks(ReadOnlySpan<byte> file, Span<ulong> spaces, Span<ulong> slashes, Span<ulong> newlines)
    {
        int full = file.Length >> 6;
        for (int w = 0; w < full; w++)
            Block(file.Slice(w << 6, 64), out spaces[w], out slashes[w], out newlines[w]);
        Span<byte> tail = stackalloc byte[64];
        tail.Fill((byte)' ');
        file[(full << 6)..].CopyTo(tail);
        Block(tail, out spaces[full], out slashes[full], out newlines[full]);
        for (int w = full + 1; w < spaces.Length; w++) (spaces[w], slashes[w], newlines[w]) = (ulong.MaxValue, 0, 0);
    }

    private static void Block(ReadOnlySpan<byte> block, out ulong spaces, out ulong slashes, out ulong newlines)
    {
        spaces = slashes = newlines = 0;
        ref byte b = ref MemoryMarshal.GetReference(block);
        for (int k = 0; k < 4; k++)
        {
            var v = Vector128.LoadUnsafe(ref b, (nuint)(k * 16));
            var space = Vector128.Equals(v, Vector128.Create((byte)' '))
                | Vector128.LessThan(v - Vector128.Create((byte)9), Vector128.Create((byte)5));
            spaces |= (ulong)space.ExtractMostSignificantBits() << (k * 16);
            slashes |= (ulong)Vector128.Equals(v, Vector128.Create((byte)'/')).ExtractMostSignificantBits() << (k * 16);
            newlines |= (ulong)Vector128.Equals(v, Vector128.Create((byte)'\n')).ExtractMostSignificantBits() << (k * 16);
        }
    }

    // The first position at or after p whose bit is clear, or len.
    private static int NextClear(ReadOnlySpan<ulong> mask, int p, int len)
    {
        int w = p >> 6;
        ulong bits = ~mask[w] & (ulong.MaxValue << (p & 63));
        while (bits == 0)
        {
            if (++w >= mask.Length) return len;
            bits = ~mask[w];
        }
        return Math.Min(len, (w << 6) + BitOperations.TrailingZeroCount(bits));
    }

    // The first position at or after p whose bit is set (there is one: the last word is all set).
    private static int NextSet(ReadOnlySpan<ulong> mask, int p)
    {
        int w = p >> 6;
        ulong bits = mask[w] & (ulong.MaxValue << (p & 63));
        while (bits == 0) bits = mask[++w];
        return (w << 6) + BitOperations.TrailingZeroCount(bits);
    }

    // Whether a bit is set in [a, b).
    private static bool AnySet(ReadOnlySpan<ulong> mask, int a, int b)
    {
        if (a >= b) return false;
        int wa = a >> 6, wb = (b - 1) >> 6;
        ulong lo = ulong.MaxValue << (a & 63), hi = ulong.MaxValue >> (63 - ((b - 1) & 63));
        if (wa == wb) return (mask[wa] & lo & hi) != 0;
        if ((mask[wa] & lo) != 0 || (mask[wb] & hi) != 0) return true;
        for (int w = wa + 1; w < wb; w++)
            if (mask[w] != 0) return true;
        return false;
    }

    // The last position in [a, b) whose bit is set, or -1.
    private static int LastSet(ReadOnlySpan<ulong> mask, int a, int b)
    {
        if (a >= b) return -1;
        int wa = a >> 6, w = (b - 1) >> 6;
        ulong bits = mask[w] & (ulong.MaxValue >> (63 - ((b - 1) & 63)));
        while (true)
        {
            if (w == wa) bits &= ulong.MaxValue << (a & 63);
            if (bits != 0) return (w << 6) + 63 - BitOperations.LeadingZeroCount(bits);
            if (w == wa) return -1;
            bits = mask[--w];
        }
    }

    /// <summary>The line-by-line stripping every file went through before the one-pass ASCII path (the tests compare the two).</summary>
    internal static byte[] StripFileLineByLine(ReadOnlySpan<byte> file)
    {
        var output = new byte[file.Length];
        return output[..StripFileByLine(file, output)];
    }

    private static int StripFileByLine(ReadOnlySpan<byte> file, byte[] output)
    {
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
        return n;
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
