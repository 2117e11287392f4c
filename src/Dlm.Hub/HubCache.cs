using System.Text.RegularExpressions;
using Dlm.Core;

namespace Dlm.Hub;

/// <summary>
/// The Hugging Face hub cache, laid out exactly as huggingface_hub writes it:
/// <c>models--org--name/blobs/&lt;sha256 or git sha1&gt;</c> holding the bytes,
/// <c>snapshots/&lt;commit&gt;/&lt;file&gt;</c> relative symlinks to the blobs, and
/// <c>refs/&lt;branch&gt;</c> holding the commit a branch pointed to.
/// </summary>
public sealed partial class HubCache(string root)
{
    /// <summary>The cache folder (the one holding <c>models--*</c>).</summary>
    public string Root { get; } = Path.GetFullPath(root);

    /// <summary>The folder of one model repository: <c>models--org--name</c>.</summary>
    public string RepoDir(string repo) => Path.Combine(Root, "models--" + repo.Replace("/", "--", StringComparison.Ordinal));

    /// <summary>The snapshot folder of <paramref name="commit"/>.</summary>
    public string SnapshotDir(string repo, string commit) => Path.Combine(RepoDir(repo), "snapshots", commit);

    /// <summary>Where the blob named <paramref name="blobName"/> lives.</summary>
    public string BlobPath(string repo, string blobName) => Path.Combine(RepoDir(repo), "blobs", blobName);

    /// <summary>True when <paramref name="revision"/> is a full 40-hex commit id.</summary>
    public static bool IsCommit(string revision) => CommitPattern().IsMatch(revision);

    /// <summary>
    /// The commit <paramref name="revision"/> names in the cache: itself when it is a commit,
    /// else the content of <c>refs/&lt;revision&gt;</c>; null when the cache does not know it.
    /// </summary>
    public string? TryResolveCommit(string repo, string revision)
    {
        if (IsCommit(revision)) return revision;
        var refFile = Path.Combine(RepoDir(repo), "refs", revision);
        if (!File.Exists(refFile)) return null;
        var commit = File.ReadAllText(refFile).Trim();
        return IsCommit(commit) ? commit : null;
    }

    /// <summary>Records that branch <paramref name="refName"/> points at <paramref name="commit"/> (no newline, as huggingface_hub writes it).</summary>
    public void WriteRef(string repo, string refName, string commit)
    {
        var path = Path.Combine(RepoDir(repo), "refs", refName);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        if (File.Exists(path) && File.ReadAllText(path) == commit) return;
        AtomicFile.WriteAllText(path, commit);
    }

    /// <summary>
    /// Points <c>snapshots/&lt;commit&gt;/&lt;file&gt;</c> at its blob with a relative symlink
    /// (<c>../../blobs/x</c>, one more <c>../</c> per subfolder), replacing an older link.
    /// </summary>
    public void Link(string repo, string commit, string file, string blobName)
    {
        var link = Path.Combine(SnapshotDir(repo, commit), file);
        Directory.CreateDirectory(Path.GetDirectoryName(link)!);
        int depth = file.Count(c => c == '/');
        var target = string.Concat(Enumerable.Repeat("../", depth + 2)) + "blobs/" + blobName;
        var existing = new FileInfo(link);
        if (existing.LinkTarget == target) return;
        if (existing.Exists || existing.LinkTarget is not null) existing.Delete();
        File.CreateSymbolicLink(link, target);
    }

    /// <summary>
    /// What a usable model snapshot lacks: config.json, the weights (model.safetensors, or the index
    /// and every shard it lists) and a tokenizer (tokenizer.json, tokenizer.model or vocab.json).
    /// Empty when the snapshot can be loaded without the network.
    /// </summary>
    public static IReadOnlyList<string> MissingModelFiles(string snapshotDir)
    {
        var missing = new List<string>();
        bool Has(string f) => File.Exists(Path.Combine(snapshotDir, f));
        if (!Has("config.json")) missing.Add("config.json");
        if (Has("model.safetensors.index.json"))
        {
            foreach (var shard in ShardIndex.Shards(Path.Combine(snapshotDir, "model.safetensors.index.json")))
                if (!Has(shard)) missing.Add(shard);
        }
        else if (!Has("model.safetensors")) missing.Add("model.safetensors (or model.safetensors.index.json)");
        if (!Has("tokenizer.json") && !Has("tokenizer.model") && !Has("vocab.json")) missing.Add("tokenizer.json");
        return missing;
    }

    /// <summary>The repositories in the cache, as <c>org/name</c>.</summary>
    public IEnumerable<string> CachedRepos()
    {
        if (!Directory.Exists(Root)) yield break;
        foreach (var d in Directory.EnumerateDirectories(Root, "models--*"))
        {
            var parts = Path.GetFileName(d)["models--".Length..].Split("--", 2);
            if (parts.Length == 2) yield return parts[0] + "/" + parts[1];
        }
    }

    [GeneratedRegex("^[0-9a-f]{40}$")]
    private static partial Regex CommitPattern();
}
