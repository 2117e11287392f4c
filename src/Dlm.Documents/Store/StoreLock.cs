using System.Globalization;
using Dlm.Core;

namespace Dlm.Documents.Store;

/// <summary>
/// The exclusive writer lock of a store: <c>store/&lt;dlm_id&gt;/.lock</c> holding
/// <c>pid\nhost\nepoch\n</c>. It is created exclusively (written to a temp file, then linked into
/// place, which fails when a lock exists), so a killed process never leaves a half-written lock.
/// A live holder refuses a second writer, naming its pid; a lock whose pid is dead on this host is
/// stale and broken with a message. Dispose releases it (only if it is still ours).
/// </summary>
public sealed class StoreLock : IDisposable
{
    private readonly string _content;
    private bool _released;

    private StoreLock(string path, string content, string? brokeStale)
    {
        LockPath = path;
        _content = content;
        BrokeStale = brokeStale;
    }

    /// <summary>The lock file.</summary>
    public string LockPath { get; }

    /// <summary>When a stale lock was broken to take this one: a one-line message saying whose; else null.</summary>
    public string? BrokeStale { get; }

    /// <summary>What a lock file says: who holds it and since when.</summary>
    /// <param name="Pid">The holder's process id.</param>
    /// <param name="Host">The holder's host name.</param>
    /// <param name="Epoch">When it was taken, Unix seconds.</param>
    public readonly record struct Holder(int Pid, string Host, long Epoch);

    /// <summary>
    /// Takes the lock of the store folder <paramref name="storeDir"/>, or throws a
    /// <see cref="DlmException"/> naming the live holder.
    /// </summary>
    public static StoreLock Acquire(string storeDir)
    {
        try
        {
            return AcquireCore(storeDir);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new DlmException($"cannot take the lock of {storeDir}: {e.Message}");
        }
    }

    private static StoreLock AcquireCore(string storeDir)
    {
        Directory.CreateDirectory(storeDir);
        var path = Path.Combine(storeDir, ".lock");
        var content = string.Create(CultureInfo.InvariantCulture,
            $"{Environment.ProcessId}\n{Environment.MachineName}\n{DateTimeOffset.UtcNow.ToUnixTimeSeconds()}\n");
        string? broke = null;
        for (int attempt = 0; attempt < 3; attempt++)
        {
            if (TryCreate(path, content)) return new StoreLock(path, content, broke);
            var text = TryRead(path);
            if (text is null) continue; // released between our two steps: try again
            var holder = Parse(text) ?? throw new DlmException(
                $"{path}: lock file is not 'pid\\nhost\\nepoch\\n'; remove it if no dlm is using this store");
            if (holder.Host != Environment.MachineName)
                throw new DlmException(
                    $"store is locked by pid {holder.Pid} on host {holder.Host} since {Since(holder)}; cannot check a process on another host (remove {path} if it is gone)");
            if (IsAlive(holder.Pid))
                throw new DlmException($"store is locked by pid {holder.Pid} (running since {Since(holder)}): another dlm is writing to it");
            // Stale: the holder died without releasing. Break it only if it is still the same stale lock.
            if (TryRead(path) == text)
            {
                try { File.Delete(path); }
                catch (IOException) { }
                broke = $"broke stale lock {path}: pid {holder.Pid} on {holder.Host} (taken {Since(holder)}) is not running";
            }
        }
        throw new DlmException($"{path}: could not take the lock (it keeps changing hands)");
    }

    /// <summary>Reads who holds the lock of <paramref name="storeDir"/>, or null when it is free (or unreadable).</summary>
    public static Holder? ReadHolder(string storeDir) =>
        TryRead(Path.Combine(storeDir, ".lock")) is { } text ? Parse(text) : null;

    /// <summary>True when a process with <paramref name="pid"/> runs on this machine.</summary>
    public static bool IsAlive(int pid)
    {
        if (pid <= 0) return false;
        if (OperatingSystem.IsLinux()) return Directory.Exists($"/proc/{pid}") && !IsZombie(pid);
        try
        {
            using var p = System.Diagnostics.Process.GetProcessById(pid);
            return !p.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    /// <summary>Releases the lock when it is still this process's.</summary>
    public void Dispose()
    {
        if (_released) return;
        _released = true;
        if (TryRead(LockPath) == _content)
        {
            try { File.Delete(LockPath); }
            catch (IOException) { }
        }
    }

    private static bool TryCreate(string path, string content)
    {
        var tmp = $"{path}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp";
        File.WriteAllText(tmp, content);
        try
        {
            // Move without overwrite links the new name: it fails when a lock exists (exclusive create).
            File.Move(tmp, path, overwrite: false);
            return true;
        }
        catch (IOException) when (File.Exists(path))
        {
            return false;
        }
        finally
        {
            try { File.Delete(tmp); }
            catch (IOException) { }
        }
    }

    private static string? TryRead(string path)
    {
        try { return File.ReadAllText(path); }
        catch (FileNotFoundException) { return null; }
        catch (DirectoryNotFoundException) { return null; }
        catch (IOException) { return null; }
    }

    private static Holder? Parse(string text)
    {
        var lines = text.Split('\n');
        if (lines.Length < 3) return null;
        if (!int.TryParse(lines[0], NumberStyles.None, CultureInfo.InvariantCulture, out var pid)) return null;
        if (!long.TryParse(lines[2], NumberStyles.None, CultureInfo.InvariantCulture, out var epoch)) return null;
        return new Holder(pid, lines[1], epoch);
    }

    private static bool IsZombie(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            int close = stat.LastIndexOf(')');
            return close > 0 && close + 2 < stat.Length && stat[close + 2] == 'Z';
        }
        catch (IOException)
        {
            return false;
        }
    }

    private static string Since(Holder h) =>
        DateTimeOffset.FromUnixTimeSeconds(h.Epoch).UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss 'UTC'", CultureInfo.InvariantCulture);
}
