namespace Dlm.Documents.Format;

/// <summary>
/// Python's notion of whitespace (<c>str.isspace</c>, <c>str.strip</c>), which upstream's grammar
/// uses: .NET's plus the four information separators U+001C..U+001F.
/// </summary>
internal static class PyText
{
    public static bool IsSpace(char c) => char.IsWhiteSpace(c) || c is '\x1c' or '\x1d' or '\x1e' or '\x1f';

    public static string Strip(string s)
    {
        var a = 0;
        var b = s.Length;
        while (a < b && IsSpace(s[a])) a++;
        while (b > a && IsSpace(s[b - 1])) b--;
        return s[a..b];
    }

    public static bool IsBlank(string s) => s.All(IsSpace);
}
