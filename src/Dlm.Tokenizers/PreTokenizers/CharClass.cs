using System.Globalization;
using System.Text;

namespace Dlm.Tokenizers.PreTokenizers;

/// <summary>
/// The character classes the GPT-style regexes test (\p{L}, \p{N}, \s, [\r\n]), by code point.
/// A 64K table serves the BMP; surrogate pairs are decoded and looked up through <see cref="Rune"/>.
/// </summary>
internal static class CharClass
{
    public const byte Other = 0, Letter = 1, Number = 2, Space = 3, Newline = 4;

    private static readonly byte[] Bmp = Build();

    private static byte[] Build()
    {
        var t = new byte[65536];
        for (int c = 0; c < 65536; c++) t[c] = Classify(c);
        return t;
    }

    private static byte Classify(int cp)
    {
        if (cp == '\r' || cp == '\n') return Newline;
        if (cp < 0x10000 && char.IsSurrogate((char)cp)) return Other;
        if (cp < 0x10000 ? char.IsWhiteSpace((char)cp) : false) return Space;
        var cat = cp < 0x10000 ? CharUnicodeInfo.GetUnicodeCategory((char)cp) : CharUnicodeInfo.GetUnicodeCategory(cp);
        return cat switch
        {
            UnicodeCategory.UppercaseLetter or UnicodeCategory.LowercaseLetter or UnicodeCategory.TitlecaseLetter
                or UnicodeCategory.ModifierLetter or UnicodeCategory.OtherLetter => Letter,
            UnicodeCategory.DecimalDigitNumber or UnicodeCategory.LetterNumber or UnicodeCategory.OtherNumber => Number,
            _ => Other,
        };
    }

    /// <summary>The class of the code point at <paramref name="i"/>; <paramref name="width"/> is 2 for a surrogate pair.</summary>
    public static byte At(ReadOnlySpan<char> s, int i, out int width)
    {
        char c = s[i];
        if (!char.IsHighSurrogate(c) || i + 1 >= s.Length || !char.IsLowSurrogate(s[i + 1]))
        {
            width = 1;
            return Bmp[c];
        }
        width = 2;
        return Classify(char.ConvertToUtf32(c, s[i + 1]));
    }
}
