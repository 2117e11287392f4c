using System.Text;

namespace Dlm.Documents.Tests;

/// <summary>A real folder tree in a temp directory, removed on dispose.</summary>
public sealed class TempTree : IDisposable
{
    public TempTree()
    {
        Root = Path.Combine(Path.GetTempPath(), "dlm-docs-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(Root);
    }

    public string Root { get; }

    public string P(string rel) => Path.Combine(Root, rel);

    public string Write(string rel, string text) => WriteBytes(rel, Encoding.UTF8.GetBytes(text));

    public string WriteBytes(string rel, byte[] bytes)
    {
        var path = P(rel);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    public string Dir(string rel)
    {
        var path = P(rel);
        Directory.CreateDirectory(path);
        return path;
    }

    /// <summary>A symlink at <paramref name="rel"/> pointing at <paramref name="target"/> (as given: relative or absolute).</summary>
    public string Link(string rel, string target)
    {
        var path = P(rel);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.CreateSymbolicLink(path, target);
        return path;
    }

    public void Dispose()
    {
        try { Directory.Delete(Root, recursive: true); }
        catch (IOException) { }
    }
}
