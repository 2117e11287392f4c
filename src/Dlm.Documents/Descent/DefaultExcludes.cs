namespace Dlm.Documents.Descent;

/// <summary>
/// The default excludes (upstream's list), each matched at any depth: <c>build/**</c> also drops
/// <c>src/build/x</c>, <c>.env</c> drops <c>a/.env</c> but not <c>prod.env</c>. A nearest
/// <c>training.yaml</c> with <c>exclude_defaults: false</c> turns them off below its anchor.
/// </summary>
public static class DefaultExcludes
{
    /// <summary>The patterns as the contract lists them (without the implied <c>**/</c> prefix).</summary>
    public static IReadOnlyList<string> Patterns { get; } =
    [
        ".git/**", ".hg/**", ".svn/**", ".env", ".env.*", "id_rsa", "id_ed25519",
        "*.pem", "*.key", "secrets.*", "__pycache__/**", "*.pyc", "*.pyo", ".venv/**", "venv/**", ".tox/**",
        "node_modules/**", "*.min.js", "*.min.css", "*.map", "target/**",
        "*.rlib", "*.class", "*.jar", "*.o", "*.so", "*.dylib", "*.dll", "build/**", "dist/**",
        "__generated__/**", "generated/**", "package-lock.json", "yarn.lock",
        "pnpm-lock.yaml", "Cargo.lock", "uv.lock", "poetry.lock", "Pipfile.lock", "*.ico", "*.pdf", "*.zip", "*.tar", "*.gz",
        "*.xz", "*.bz2", "*.7z", "*.wasm",
    ];

    private static readonly Glob[] Globs = [.. Patterns.Select(p => Glob.Compile("**/" + p))];

    /// <summary>True when a default exclude matches the POSIX root-relative <paramref name="path"/>.</summary>
    public static bool Matches(string path)
    {
        foreach (var g in Globs)
            if (g.IsMatch(path)) return true;
        return false;
    }
}
