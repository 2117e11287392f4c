namespace Dlm.TestSupport;

/// <summary>Locates the repository and its committed fixtures from inside a test run.</summary>
public static class RepoPaths
{
    private static readonly Lazy<string> RootLazy = new(() =>
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Dlm.slnx"))) return dir.FullName;
        throw new InvalidOperationException($"cannot find Dlm.slnx above {AppContext.BaseDirectory}");
    });

    /// <summary>The repository root (the folder holding Dlm.slnx).</summary>
    public static string Root => RootLazy.Value;

    /// <summary>A path under tests/fixtures; fails clearly when the fixture is not committed.</summary>
    public static string Fixture(params string[] parts)
    {
        var path = Path.Combine([Root, "tests", "fixtures", .. parts]);
        if (!File.Exists(path) && !Directory.Exists(path))
            throw new FileNotFoundException($"fixture missing: {path} (regenerate with the script in tools/reference/)", path);
        return path;
    }
}
