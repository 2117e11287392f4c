namespace Dlm.Hub;

/// <summary>How far one file's download is.</summary>
/// <param name="File">The file's path in the repository.</param>
/// <param name="Done">Bytes on disk so far (including a resumed part).</param>
/// <param name="Total">The file's size, when known.</param>
/// <param name="Finished">True once the file is verified and linked into the snapshot.</param>
/// <param name="FromCache">True when the blob was already in the cache and nothing was transferred.</param>
public readonly record struct DownloadProgress(string File, long Done, long? Total, bool Finished, bool FromCache);

/// <summary>The outcome of <see cref="ModelDownloader.DownloadAsync"/>.</summary>
/// <param name="Repo">The repository.</param>
/// <param name="Commit">The commit downloaded (record this to pin the revision).</param>
/// <param name="SnapshotDir">The snapshot folder: <c>models--org--name/snapshots/&lt;commit&gt;</c>.</param>
/// <param name="Files">The files in the snapshot that this call made sure of.</param>
/// <param name="BytesDownloaded">Bytes transferred over the network by this call.</param>
/// <param name="FromCache">True when the snapshot was complete already and no request was made.</param>
public sealed record DownloadResult(string Repo, string Commit, string SnapshotDir, IReadOnlyList<string> Files, long BytesDownloaded, bool FromCache);
