using System.Buffers.Binary;
using System.Text;
using Dlm.Core;

namespace Dlm.Tokenizers.Normalizers;

/// <summary>
/// SentencePiece's precompiled normalization rules (what <c>nmt_nfkc</c> and the other rule sets
/// compile to): a little-endian uint32 size, a Darts double-array trie over the UTF-8 bytes of
/// each source string, then the replacement strings, NUL-terminated, which trie values point into.
/// The same blob is <c>normalizer_spec.precompiled_charsmap</c> of an <c>spm.model</c> and the
/// base64 <c>precompiled_charsmap</c> of a <c>tokenizer.json</c> <c>Precompiled</c> normalizer.
/// </summary>
internal sealed class PrecompiledCharsMap
{
    private readonly uint[] units;
    private readonly byte[] normalized;
    private readonly Dictionary<int, string> replacements = [];
    // Bit b set: some rule starts with the byte b (b < 128); other ASCII chars are never rewritten.
    private readonly bool[] asciiStarts = new bool[128];

    /// <summary>The blob as stored in the model.</summary>
    public byte[] Blob { get; }

    public PrecompiledCharsMap(byte[] blob)
    {
        Blob = blob ?? throw new ArgumentNullException(nameof(blob));
        if (blob.Length <= 4) throw new DlmException("precompiled charsmap is too short");
        uint trieSize = BinaryPrimitives.ReadUInt32LittleEndian(blob);
        if (trieSize == 0 || trieSize > (uint)blob.Length - 4 || trieSize % 4 != 0)
            throw new DlmException($"precompiled charsmap: trie size {trieSize} does not fit the {blob.Length}-byte blob");
        units = new uint[trieSize / 4];
        for (int i = 0; i < units.Length; i++) units[i] = BinaryPrimitives.ReadUInt32LittleEndian(blob.AsSpan(4 + 4 * i));
        normalized = blob[(4 + (int)trieSize)..];
        for (int start = 0; start < normalized.Length;)
        {
            int end = Array.IndexOf(normalized, (byte)0, start);
            if (end < 0) end = normalized.Length;
            replacements[start] = Encoding.UTF8.GetString(normalized, start, end - start);
            start = end + 1;
        }
        uint root = Offset(units[0]);
        for (int b = 1; b < 128; b++)
        {
            uint pos = root ^ (uint)b;
            asciiStarts[b] = pos < units.Length && Label(units[pos]) == b;
        }
    }

    private static bool HasLeaf(uint u) => ((u >> 8) & 1) == 1;
    private static int Value(uint u) => (int)(u & 0x7fffffffu);
    private static uint Label(uint u) => u & 0x800000ffu;
    private static uint Offset(uint u) => (u >> 10) << (int)((u & (1u << 9)) >> 6);

    /// <summary>False when no rule can start at <paramref name="c"/> (then it maps to itself).</summary>
    public bool MayStartWith(char c) => c >= 128 || asciiStarts[c];

    /// <summary>
    /// The rule matching the longest prefix of <paramref name="s"/> (SentencePiece's
    /// <c>NormalizePrefix</c>): its length in chars (0 when none) and its replacement.
    /// </summary>
    public int LongestMatch(ReadOnlySpan<char> s, out string replacement) => Match(s, longest: true, out replacement);

    /// <summary>
    /// The rule matching the shortest prefix of <paramref name="s"/> (Hugging Face's
    /// <c>Precompiled::transform</c>, which then replaces the whole of <paramref name="s"/>): its length, or 0.
    /// </summary>
    public int ShortestMatch(ReadOnlySpan<char> s, out string replacement) => Match(s, longest: false, out replacement);

    private int Match(ReadOnlySpan<char> s, bool longest, out string replacement)
    {
        replacement = "";
        int bestLen = 0, bestValue = -1;
        uint node = Offset(units[0]);
        Span<byte> utf8 = stackalloc byte[4];
        for (int j = 0; j < s.Length;)
        {
            int charLen;
            uint cp = s[j];
            if (char.IsHighSurrogate(s[j]) && j + 1 < s.Length && char.IsLowSurrogate(s[j + 1]))
            {
                cp = (uint)char.ConvertToUtf32(s[j], s[j + 1]);
                charLen = 2;
            }
            else if (char.IsSurrogate(s[j])) break; // a lone surrogate has no UTF-8 form, so no rule holds it
            else charLen = 1;
            int nb = new Rune(cp).EncodeToUtf8(utf8);
            for (int k = 0; k < nb; k++)
            {
                byte b = utf8[k];
                if (b == 0) goto done; // keys are NUL-terminated in Darts: a NUL never matches
                node ^= b;
                if (node >= units.Length) goto done;
                uint unit = units[node];
                if (Label(unit) != b) goto done;
                node ^= Offset(unit);
                if (node >= units.Length) goto done;
                // Rules are whole UTF-8 strings, so a leaf only counts at the end of a char.
                if (HasLeaf(unit) && k == nb - 1)
                {
                    bestLen = j + charLen;
                    bestValue = Value(units[node]);
                    if (!longest) goto done;
                }
            }
            j += charLen;
        }
    done:
        if (bestValue < 0) return 0;
        replacement = Replacement(bestValue);
        return bestLen;
    }

    private string Replacement(int offset)
    {
        if (replacements.TryGetValue(offset, out var r)) return r;
        if ((uint)offset >= (uint)normalized.Length) throw new DlmException($"precompiled charsmap: value {offset} is outside the strings");
        int end = Array.IndexOf(normalized, (byte)0, offset);
        return Encoding.UTF8.GetString(normalized, offset, (end < 0 ? normalized.Length : end) - offset);
    }
}
