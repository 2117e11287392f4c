namespace Dlm.Core;

/// <summary>
/// A file written and flushed to disk under a temporary name by <see cref="AtomicFile.WritePending"/>,
/// not yet in place. <see cref="Commit"/> renames it over its target; disposing it uncommitted
/// removes the temporary file, leaving the target untouched.
/// </summary>
public sealed class PendingFile : IDisposable
{
    private readonly string _tmp;
    private bool _done;

    internal PendingFile(string tmp, string path)
    {
        _tmp = tmp;
        Path = path;
    }

    /// <summary>The target path.</summary>
    public string Path { get; }

    /// <summary>Moves the file into place (atomically replacing any file there).</summary>
    public void Commit()
    {
        ObjectDisposedException.ThrowIf(_done, this);
        _done = true;
        AtomicFile.Commit(_tmp, Path);
    }

    /// <summary>Removes the temporary file unless it was committed.</summary>
    public void Dispose()
    {
        if (_done) return;
        _done = true;
        AtomicFile.TryDelete(_tmp);
    }
}
