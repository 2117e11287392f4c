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
        var words = line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
        for (int i = 0; i < words.Length; i++)
        {
            int slash = words[i].LastIndexOf('/');
            if (slash > 0) words[i] = words[i][..slash];
        }
        return string.Join(' ', words);
    }
}
