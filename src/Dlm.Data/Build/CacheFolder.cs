namespace Dlm.Data.Build;

/// <summary>
/// Builds a cache folder so that a killed build never leaves one that validates: the old
/// <c>meta.json</c> is removed first, the new cache is written into a staging folder beside the
/// target (meta.json last), and the staging folder then replaces the target.
/// </summary>
internal static class CacheFolder
{
    public static string Stage(string finalDir)
    {
        var parent = Path.GetDirectoryName(Path.GetFullPath(finalDir))!;
        Directory.CreateDirectory(parent);
        var meta = Path.Combine(finalDir, Caches.CacheMeta.FileName);
        if (File.Exists(meta)) File.Delete(meta);
        var staging = Path.Combine(parent, $".{Path.GetFileName(finalDir)}.building");
        if (Directory.Exists(staging)) Directory.Delete(staging, recursive: true);
        Directory.CreateDirectory(Path.Combine(staging, "train"));
        Directory.CreateDirectory(Path.Combine(staging, "val"));
        return staging;
    }

    public static void Commit(string staging, string finalDir)
    {
        if (Directory.Exists(finalDir)) Directory.Delete(finalDir, recursive: true);
        Directory.Move(staging, finalDir);
    }

    public static void Abandon(string staging)
    {
        try { if (Directory.Exists(staging)) Directory.Delete(staging, recursive: true); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}
