using System.Text;

namespace Dlm.Core;

/// <summary>
/// Writes files so that a reader never sees a half-written one: the content goes to a
/// temporary file in the same folder, is flushed to disk, then renamed over the target.
/// A killed process leaves at most a stray <c>.tmp-*</c> file, never a truncated target.
/// </summary>
public static class AtomicFile
{
    /// <summary>Atomically replaces <paramref name="path"/> with <paramref name="bytes"/>.</summary>
    public static void WriteAllBytes(string path, ReadOnlySpan<byte> bytes)
    {
        var tmp = BeginWrite(path, out var stream);
        using (stream)
        {
            stream.Write(bytes);
            stream.Flush(flushToDisk: true);
        }
        Commit(tmp, path);
    }

    /// <summary>
    /// The first half of <see cref="WriteAllBytes"/>: <paramref name="bytes"/> go to a temporary file
    /// beside <paramref name="path"/> and are flushed to disk, while <paramref name="path"/> stays as it
    /// was until <see cref="PendingFile.Commit"/>. A caller can thus flush other files at the same time
    /// and let the target appear only once they are all on disk (one wait for the disk instead of two).
    /// </summary>
    public static PendingFile WritePending(string path, ReadOnlySpan<byte> bytes)
    {
        var tmp = BeginWrite(path, out var stream);
        try
        {
            using (stream)
            {
                stream.Write(bytes);
                stream.Flush(flushToDisk: true);
            }
        }
        catch
        {
            TryDelete(tmp);
            throw;
        }
        return new PendingFile(tmp, path);
    }

    /// <summary>Atomically replaces <paramref name="path"/> with UTF-8 text (no byte order mark).</summary>
    public static void WriteAllText(string path, string text) =>
        WriteAllBytes(path, new UTF8Encoding(false).GetBytes(text));

    /// <summary>
    /// Atomically replaces <paramref name="path"/> with whatever <paramref name="write"/> puts
    /// into the stream. If <paramref name="write"/> throws, the target is left untouched.
    /// </summary>
    public static void Write(string path, Action<Stream> write)
    {
        ArgumentNullException.ThrowIfNull(write);
        var tmp = BeginWrite(path, out var stream);
        try
        {
            using (stream)
            {
                write(stream);
                stream.Flush(flushToDisk: true);
            }
        }
        catch
        {
            TryDelete(tmp);
            throw;
        }
        Commit(tmp, path);
    }

    private static string BeginWrite(string path, out FileStream stream)
    {
        var full = Path.GetFullPath(path);
        var dir = Path.GetDirectoryName(full) ?? throw new DlmException($"cannot write to {path}: no parent folder");
        Directory.CreateDirectory(dir);
        var tmp = Path.Combine(dir, $".tmp-{Path.GetFileName(full)}-{Environment.ProcessId}-{Guid.NewGuid():N}");
        stream = new FileStream(tmp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16);
        return tmp;
    }

    internal static void Commit(string tmp, string path)
    {
        try
        {
            File.Move(tmp, path, overwrite: true);
        }
        catch
        {
            TryDelete(tmp);
            throw;
        }
    }

    internal static void TryDelete(string path)
    {
        try { File.Delete(path); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}
