namespace Dlm.Documents.Descent;

/// <summary>
/// The <c>.dlm/ignore</c> files that apply at one point of a walk, shallow to deep, each with
/// its anchor folder (POSIX, relative to the walk root; empty for the root). Deeper files take
/// precedence, as git's nested <c>.gitignore</c> files do; within a file the last matching rule
/// decides. Immutable: entering a folder with its own ignore file makes a new stack.
/// </summary>
public sealed class IgnoreLayers
{
    private readonly (string Anchor, IgnoreRules Rules)[] _files;

    private IgnoreLayers((string, IgnoreRules)[] files) => _files = files;

    /// <summary>No ignore files.</summary>
    public static IgnoreLayers Empty { get; } = new([]);

    /// <summary>True when no ignore file applies.</summary>
    public bool IsEmpty => _files.Length == 0;

    /// <summary>This stack with <paramref name="rules"/> (anchored at <paramref name="anchor"/>) as its deepest file.</summary>
    public IgnoreLayers Push(string anchor, IgnoreRules rules) => new([.. _files, (anchor, rules)]);

    /// <summary>
    /// The verdict for <paramref name="path"/> (POSIX, relative to the walk root) by the last
    /// matching rule of the deepest file that has one. It does not look at parent folders: the
    /// walk asks once per folder as it enters it, and <see cref="EvaluateWithParents"/> does both.
    /// </summary>
    public IgnoreVerdict Evaluate(string path, bool isDirectory)
    {
        for (int i = _files.Length - 1; i >= 0; i--)
        {
            var (anchor, rules) = _files[i];
            string rel;
            if (anchor.Length == 0) rel = path;
            else if (path.Length > anchor.Length && path.StartsWith(anchor, StringComparison.Ordinal) && path[anchor.Length] == '/')
                rel = path[(anchor.Length + 1)..];
            else continue;
            var v = rules.Evaluate(rel, isDirectory);
            if (v != IgnoreVerdict.None) return v;
        }
        return IgnoreVerdict.None;
    }

    /// <summary>
    /// git's rule that nothing inside an ignored folder can be re-included: true when a folder on
    /// the way to <paramref name="path"/> is ignored (checked from the top down, so a folder
    /// re-included by <c>!</c> below an ignored one still counts as ignored).
    /// </summary>
    public bool IsExcludedByParent(string path)
    {
        int slash = -1;
        while ((slash = path.IndexOf('/', slash + 1)) >= 0)
            if (Evaluate(path[..slash], isDirectory: true) == IgnoreVerdict.Ignored) return true;
        return false;
    }

    /// <summary>The full git verdict for a file or folder: a parent folder ignored, else its own rules.</summary>
    public IgnoreVerdict EvaluateWithParents(string path, bool isDirectory) =>
        IsExcludedByParent(path) ? IgnoreVerdict.Ignored : Evaluate(path, isDirectory);
}
