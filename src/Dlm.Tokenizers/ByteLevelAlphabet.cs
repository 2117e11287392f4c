namespace Dlm.Tokenizers;

/// <summary>
/// The GPT-2 byte-level alphabet: each of the 256 byte values maps to one printable Unicode
/// character, so any byte string can be written as a vocabulary string. Printable Latin-1
/// bytes map to themselves; the other 68 (controls, space, soft hyphen ...) map in byte order
/// to U+0100 and up (so space, 0x20, becomes 'Ġ' U+0120).
/// </summary>
public static class ByteLevelAlphabet
{
    private static readonly char[] ByteToCharTable = BuildTable();
    private static readonly Dictionary<char, byte> CharToByteTable = BuildReverse();

    /// <summary>The character that stands for <paramref name="b"/>.</summary>
    public static char ByteToChar(byte b) => ByteToCharTable[b];

    /// <summary>The byte a character of the alphabet stands for; false if it is not in the alphabet.</summary>
    public static bool TryCharToByte(char c, out byte b) => CharToByteTable.TryGetValue(c, out b);

    /// <summary>All 256 characters, indexed by byte value.</summary>
    public static ReadOnlySpan<char> Table => ByteToCharTable;

    private static bool IsSelfMapped(int b) =>
        (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);

    private static char[] BuildTable()
    {
        var table = new char[256];
        int next = 0;
        for (int b = 0; b < 256; b++)
            table[b] = IsSelfMapped(b) ? (char)b : (char)(256 + next++);
        return table;
    }

    private static Dictionary<char, byte> BuildReverse()
    {
        var d = new Dictionary<char, byte>(256);
        for (int b = 0; b < 256; b++) d[ByteToCharTable[b]] = (byte)b;
        return d;
    }
}
