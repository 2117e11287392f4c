namespace Dlm.Hub;

/// <summary>One file of a repository at a commit, as the hub's model API lists it.</summary>
/// <param name="Name">The path in the repository (<c>rfilename</c>).</param>
/// <param name="BlobId">The git blob sha1 (<c>blobId</c>), or null when the hub did not give it.</param>
/// <param name="Size">The size in bytes, or null when not given.</param>
/// <param name="Sha256">The LFS sha256 (<c>lfs.sha256</c>) for a file stored in LFS, else null.</param>
public sealed record RepoFile(string Name, string? BlobId, long? Size, string? Sha256)
{
    /// <summary>The blob name huggingface_hub gives the file in the cache: the sha256 for LFS, else the git sha1.</summary>
    public string? CacheBlobName => Sha256 ?? BlobId;
}

/// <summary>What <c>GET /api/models/&lt;repo&gt;/revision/&lt;rev&gt;?blobs=true</c> says about a repository.</summary>
/// <param name="Repo">The repository id.</param>
/// <param name="Commit">The commit the revision points at (<c>sha</c>).</param>
/// <param name="Files">The files (<c>siblings</c>).</param>
/// <param name="Gated">Whether downloads are gated (<c>gated</c> is "auto" or "manual").</param>
/// <param name="License">The model card's <c>license</c>, when given.</param>
public sealed record RepoInfo(string Repo, string Commit, IReadOnlyList<RepoFile> Files, bool Gated, string? License);
