using System.Buffers;
using System.Numerics;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

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
        var output = new byte[OutputCapacity(file.Length)];
        if (!System.Text.Ascii.IsValid(file)) return output[..StripFileByLine(file, output)];
        int n = StripAscii(file, output, out int start);
        return output[start..(start + n)];
    }

    // The ASCII paths store whole vectors at the output's end: room for the input rounded up to 64 bytes.
    private static int OutputCapacity(int inputLength) => Math.Max(64, (int)Math.Min(Array.MaxLength, ((long)inputLength + 63) & ~63L));

    // The one-pass ASCII strip: 64 bytes at a time through AVX-512 compress where the processor has
    // it (VBMI2), else word by word from the same bit masks. The text is output[start..start+length].
    private static int StripAscii(ReadOnlySpan<byte> file, byte[] output, out int start)
    {
        if (CanCompress) return StripAsciiCompress(file, output, out start);
        start = 0;
        return StripAsciiFile(file, output);
    }

    /// <summary>Whether <see cref="StripFile"/> uses the AVX-512 (VBMI2) compress path on this processor.</summary>
    internal static bool CanCompress => Avx512Vbmi2.IsSupported && Avx512BW.IsSupported;

    /// <summary>The word-by-word ASCII path alone (the tests compare every path on Brown and edge cases).</summary>
    internal static byte[] StripAsciiByWords(ReadOnlySpan<byte> file)
    {
        var output = new byte[OutputCapacity(file.Length)];
        return output[..StripAsciiFile(file, output)];
    }

    /// <summary>The AVX-512 compress path alone; only where <see cref="CanCompress"/>.</summary>
    internal static byte[] StripAsciiByCompress(ReadOnlySpan<byte> file)
    {
        var output = new byte[OutputCapacity(file.Length)];
        int n = StripAsciiCompress(file, output, out int start);
        return output[start..(start + n)];
    }

    /// <summary>
    /// <see cref="StripFile"/> decoded: the document text of one corpus file. It costs a fraction of
    /// tokenizing the text (a cache build reads every file once): an ASCII file (all of Brown) is
    /// stripped in one pass over its bytes into a pooled buffer and widened straight into the string.
    /// </summary>
    /// <exception cref="System.Text.DecoderFallbackException">The stripped text is not valid UTF-8.</exception>
    public static string StripFileToString(ReadOnlySpan<byte> file)
    {
        var output = ArrayPool<byte>.Shared.Rent(OutputCapacity(file.Length));
        try
        {
            if (System.Text.Ascii.IsValid(file))
            {
                int n = StripAscii(file, output, out int start);
                return System.Text.Encoding.Latin1.GetString(output, start, n); // ASCII: one char per byte
            }
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

    // The same output as StripAsciiFile without a step per word: after the bit masks, two passes of
    // a few 64-bit operations per 64 bytes decide which bytes stay, and one AVX-512 compress per 64
    // bytes moves them into place. Bit i of a mask is byte i of its block (forward), or byte 63 - i
    // (reversed, so that an addition's carry runs right to left through the text).
    //  - The tag of a word is the bytes from its last '/' to its end, unless that '/' is the word's
    //    first byte. Reversed, adding each word's last byte to the mask K of the word's bytes that
    //    are neither a '/' nor its first byte carries leftwards through K and stops on the last '/',
    //    or on the first byte when there is none (or it is the only '/'): (K + last) ^ K is the run
    //    from the end back to and with the stop (the carry crosses blocks like any addition's).
    //  - A run that stopped on the word's first byte covers the whole word and is no tag: forward,
    //    adding the run's first bit (R & wordStarts) to R carries through the run and clears it.
    //  - Between two words one byte stays: the last space before the second word, written as '\n'
    //    when the run of spaces held a line break (S + N carries from each '\n' to the run's end),
    //    else ' '. The first word has none: a separator at the output's start is skipped.
    private static int StripAsciiCompress(ReadOnlySpan<byte> file, byte[] output, out int start)
    {
        start = 0;
        int len = file.Length;
        int blocks = (len + 63) >> 6;
        if (blocks == 0) return 0;
        int words = (len >> 6) + 2;
        var rented = ArrayPool<ulong>.Shared.Rent(3 * words);
        try
        {
            var spaces = rented.AsSpan(0, words);
            var slashes = rented.AsSpan(words, words); // then, from the backward pass on, the tag runs
            var newlines = rented.AsSpan(2 * words, words);
            Masks(file, spaces, slashes, newlines);

            ulong carry = 0;
            for (int w = blocks - 1; w >= 0; w--)
            {
                ulong s = spaces[w], word = ~s;
                ulong prevSpace = w == 0 ? 1UL : spaces[w - 1] >> 63;
                ulong starts = word & ((s << 1) | prevSpace);
                ulong ends = word & ((s >> 1) | ((spaces[w + 1] & 1) << 63));
                ulong k = ReverseBits(word & ~slashes[w] & ~starts);
                ulong sum = k + (ReverseBits(ends) | carry);
                carry = sum < k ? 1UL : 0;
                slashes[w] = ReverseBits(sum ^ k);
            }

            ulong clear = 0, lineBreak = 0;
            int o = 0;
            Span<byte> tail = stackalloc byte[64];
            ref byte src = ref MemoryMarshal.GetReference(file);
            for (int w = 0; w < blocks; w++)
            {
                ulong s = spaces[w], word = ~s, runs = slashes[w];
                ulong prevSpace = w == 0 ? 1UL : spaces[w - 1] >> 63;
                ulong starts = word & ((s << 1) | prevSpace);

                ulong t = runs + (runs & starts);
                ulong c1 = t < runs ? 1UL : 0;
                ulong t2 = t + clear;
                clear = c1 | (t2 < t ? 1UL : 0);
                ulong tags = t2 & runs;

                ulong n = s + newlines[w];
                ulong c2 = n < s ? 1UL : 0;
                ulong n2 = n + lineBreak;
                lineBreak = c2 | (n2 < n ? 1UL : 0);
                ulong broken = n2 & starts; // word starts after a run of spaces holding a line break

                ulong nextStart = ~spaces[w + 1] & 1 & (s >> 63);
                ulong sep = (starts >> 1) | (nextStart << 63);
                ulong sepBreak = (broken >> 1) | ((nextStart & lineBreak) << 63);
                ulong keep = (word & ~tags) | sep;

                Vector512<byte> v;
                if (((w + 1) << 6) <= len) v = Vector512.LoadUnsafe(ref src, (nuint)(w << 6));
                else
                {
                    tail.Fill((byte)' ');
                    file[(w << 6)..].CopyTo(tail);
                    v = Vector512.LoadUnsafe(ref MemoryMarshal.GetReference(tail));
                }
                var separators = Vector512.ConditionalSelect(ByteMask(sepBreak), Vector512.Create((byte)'\n'), Vector512.Create((byte)' '));
                v = Vector512.ConditionalSelect(ByteMask(sep), separators, v);
                Avx512Vbmi2.Compress(Vector512<byte>.Zero, ByteMask(keep), v).StoreUnsafe(ref output[0], (nuint)o);
                o += BitOperations.PopCount(keep);
            }
            if (o > 0 && output[0] is (byte)' ' or (byte)'\n') { start = 1; o--; } // the separator before the first word
            return o;
        }
        finally
        {
            ArrayPool<ulong>.Shared.Return(rented);
        }
    }

    // 0xFF in byte i where bit i of mask is set: each byte of the mask spread over eight bytes, then each byte's own bit.
    private static Vector512<byte> ByteMask(ulong mask)
    {
        var spread = Avx512BW.Shuffle(Vector512.Create(mask).AsByte(), ByteOfBit);
        return Vector512.Equals(spread & BitOfByte, BitOfByte);
    }

    private static readonly Vector512<byte> ByteOfBit = Vector512.Create(Enumerable.Range(0, 64).Select(i => (byte)(i >> 3)).ToArray());
    private static readonly Vector512<byte> BitOfByte = Vector512.Create(Enumerable.Range(0, 64).Select(i => (byte)(1 << (i & 7))).ToArray());

    private static ulong ReverseBits(ulong x)
    {
        x = ((x >> 1) & 0x5555555555555555UL) | ((x & 0x5555555555555555UL) << 1);
        x = ((x >> 2) & 0x3333333333333333UL) | ((x & 0x3333333333333333UL) << 2);
        x = ((x >> 4) & 0x0F0F0F0F0F0F0F0FUL) | ((x & 0x0F0F0F0F0F0F0F0FUL) << 4);
        return System.Buffers.Binary.BinaryPrimitives.ReverseEndianness(x);
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
