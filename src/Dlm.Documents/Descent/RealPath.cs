namespace Dlm.Documents.Descent;

/// <summary>
/// The real path of a file or folder: absolute, every symlink on the way resolved (like POSIX
/// <c>realpath</c>). Strict containment compares real paths, so a link inside the root that
/// points outside it is seen for what it is.
/// </summary>
public static class RealPath
{
    private const int MaxLinks = 40;

    /// <summary>Resolves <paramref name="path"/>; null when it (or a link on the way) does not exist or links loop.</summary>
    public static string? Resolve(string path)
    {
        var pending = new Stack<string>();
        PushParts(pending, Path.GetFullPath(path));
        var cur = "/";
        int links = 0;
        while (pending.Count > 0)
        {
            var part = pending.Pop();
            if (part.Length == 0 || part == ".") continue;
            if (part == "..")
            {
                cur = Path.GetDirectoryName(cur) ?? "/";
                continue;
            }
            var next = Path.Join(cur, part);
            var info = new FileInfo(next);
            string? target;
            try
            {
                target = info.LinkTarget;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                return null;
            }
            if (target is not null)
            {
                if (++links > MaxLinks) return null;
                PushParts(pending, target);
                if (Path.IsPathRooted(target)) cur = "/";
                continue;
            }
            if (!info.Exists && !Directory.Exists(next)) return null;
            cur = next;
        }
        return cur;
    }

    /// <summary>True when <paramref name="path"/> is <paramref name="root"/> or lies below it (both real paths).</summary>
    public static bool IsWithin(string path, string root) =>
        path == root
        || (path.StartsWith(root, StringComparison.Ordinal) && (root.EndsWith('/') || path[root.Length] == '/'));

    private static void PushParts(Stack<string> stack, string path)
    {
        var parts = path.Split('/');
        for (int i = parts.Length - 1; i >= 0; i--) stack.Push(parts[i]);
    }
}
