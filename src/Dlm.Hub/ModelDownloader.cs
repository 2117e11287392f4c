using System.Net;
using System.Security.Cryptography;
using Dlm.Core;

namespace Dlm.Hub;

/// <summary>
/// Downloads what a base model needs (config, generation config, tokenizer files, single or sharded
/// safetensors) into the Hugging Face cache: resumable with HTTP Range into <c>blobs/&lt;name&gt;.incomplete</c>,
/// sha256-checked against the hub's LFS metadata, several files at once. A snapshot already complete in
/// the cache (for instance written by Python tools) is used with no request at all.
/// </summary>
public sealed class ModelDownloader : IDisposable
{
    private readonly HubOptions _options;
    private readonly HubClient _client;

    /// <summary>The cache this downloader fills.</summary>
    public HubCache Cache { get; }

    /// <summary>A downloader for <paramref name="options"/>; <paramref name="handler"/> replaces the network (tests).</summary>
    public ModelDownloader(HubOptions options, HttpMessageHandler? handler = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _client = new HubClient(options, handler);
        Cache = new HubCache(options.CacheDir);
    }

    /// <summary>The hub client this downloader uses (for revision lookups).</summary>
    public HubClient Client => _client;

    /// <summary>
    /// Makes sure <paramref name="repo"/> at <paramref name="revision"/> (a commit or a branch) is in the cache
    /// and returns its snapshot. Offline, only the cache is read and a missing piece is an error naming it.
    /// </summary>
    public async Task<DownloadResult> DownloadAsync(string repo, string revision, IProgress<DownloadProgress>? progress = null, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(repo);
        ArgumentException.ThrowIfNullOrEmpty(revision);
        var commit = Cache.TryResolveCommit(repo, revision);
        if (commit is not null)
        {
            var snapshot = Cache.SnapshotDir(repo, commit);
            var missing = HubCache.MissingModelFiles(snapshot);
            if (missing.Count == 0)
            {
                var files = Directory.EnumerateFileSystemEntries(snapshot, "*", SearchOption.AllDirectories)
                    .Where(p => !Directory.Exists(p)).Select(p => Path.GetRelativePath(snapshot, p).Replace('\\', '/')).Order(StringComparer.Ordinal).ToList();
                return new DownloadResult(repo, commit, snapshot, files, 0, FromCache: true);
            }
            if (_options.Offline)
                throw new DlmException(Directory.Exists(snapshot)
                    ? $"offline (HF_HUB_OFFLINE or --offline): {repo}@{revision} is cached at {snapshot} but lacks {string.Join(", ", missing)}"
                    : $"offline (HF_HUB_OFFLINE or --offline): {repo}@{revision} is not in the cache ({snapshot} is missing); download it once with the network");
        }
        else if (_options.Offline)
        {
            var where = HubCache.IsCommit(revision) ? $"snapshots/{revision}" : $"refs/{revision}";
            throw new DlmException(
                $"offline (HF_HUB_OFFLINE or --offline): {repo}@{revision} is not in the cache ({Path.Combine(Cache.RepoDir(repo), where)} is missing); download it once with the network");
        }

        var info = await _client.GetRepoInfoAsync(repo, revision, ct).ConfigureAwait(false);
        if (HubCache.IsCommit(revision) && !string.Equals(info.Commit, revision, StringComparison.Ordinal))
            throw new DlmException($"{repo}: asked for commit {revision}, the hub at {_options.Endpoint} answered {info.Commit}; refusing a snapshot that is not the pinned one");
        if (!HubCache.IsCommit(revision)) Cache.WriteRef(repo, revision, info.Commit);
        var wanted = info.Files.Where(f => IsModelFile(f.Name)).ToList();
        if (!wanted.Any(f => f.Name == "config.json"))
            throw new DlmException($"{repo}@{info.Commit}: the repository has no config.json; it is not a transformers model");
        if (!wanted.Any(f => f.Name.EndsWith(".safetensors", StringComparison.Ordinal)))
            throw new DlmException($"{repo}@{info.Commit}: the repository has no .safetensors weights (dlm loads safetensors only)");

        long transferred = 0;
        // Files with identical content share one blob: fetch it once, then link every name to it.
        var groups = wanted.GroupBy(f => f.CacheBlobName ?? "\0" + f.Name, StringComparer.Ordinal).ToList();
        await Parallel.ForEachAsync(groups, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, _options.MaxParallelFiles), CancellationToken = ct },
            async (group, token) =>
            {
                var first = group.First();
                var (n, blob) = await FetchFileAsync(repo, info.Commit, first, progress, token).ConfigureAwait(false);
                Interlocked.Add(ref transferred, n);
                foreach (var other in group.Skip(1))
                {
                    Cache.Link(repo, info.Commit, other.Name, blob);
                    progress?.Report(new DownloadProgress(other.Name, other.Size ?? 0, other.Size, true, true));
                }
            }).ConfigureAwait(false);

        var snap = Cache.SnapshotDir(repo, info.Commit);
        var stillMissing = HubCache.MissingModelFiles(snap);
        if (stillMissing.Count > 0)
            throw new DlmException($"{repo}@{info.Commit}: the repository lacks {string.Join(", ", stillMissing)}");
        return new DownloadResult(repo, info.Commit, snap, wanted.Select(f => f.Name).Order(StringComparer.Ordinal).ToList(), transferred, FromCache: false);
    }

    /// <summary>
    /// The files a base model needs, at the top of the repository: JSON configs and tokenizer files,
    /// vocabularies and merges, sentencepiece/tiktoken models, chat templates and safetensors weights.
    /// Other formats (pytorch .bin, onnx, gguf) and subfolders are not fetched.
    /// </summary>
    internal static bool IsModelFile(string name)
    {
        if (name.Contains('/', StringComparison.Ordinal)) return false;
        string[] kept = [".json", ".txt", ".model", ".jinja", ".tiktoken", ".safetensors"];
        return kept.Any(e => name.EndsWith(e, StringComparison.OrdinalIgnoreCase))
            && !name.Equals("requirements.txt", StringComparison.OrdinalIgnoreCase);
    }

    // Returns the bytes transferred for this file and the blob it is stored in.
    private async Task<(long Transferred, string Blob)> FetchFileAsync(string repo, string commit, RepoFile file, IProgress<DownloadProgress>? progress, CancellationToken ct)
    {
        var blob = file.CacheBlobName;
        if (blob is not null && File.Exists(Cache.BlobPath(repo, blob)))
        {
            Cache.Link(repo, commit, file.Name, blob);
            progress?.Report(new DownloadProgress(file.Name, file.Size ?? 0, file.Size, true, true));
            return (0, blob);
        }
        Directory.CreateDirectory(Path.Combine(Cache.RepoDir(repo), "blobs"));
        long transferred = 0;
        for (int attempt = 1; ; attempt++)
        {
            string? incomplete = blob is null ? null : Cache.BlobPath(repo, blob) + ".incomplete";
            long from = incomplete is not null && File.Exists(incomplete) ? new FileInfo(incomplete).Length : 0;
            if (file.Size is { } full && from > full) { File.Delete(incomplete!); from = 0; }
            using var response = await _client.GetFileAsync(repo, commit, file.Name, from, ct).ConfigureAwait(false);
            if (response.StatusCode == HttpStatusCode.RequestedRangeNotSatisfiable)
            {
                if (incomplete is not null) File.Delete(incomplete);
                if (attempt >= _options.MaxAttempts) throw new DlmException($"{repo}@{commit}: {file.Name}: the hub refused to resume the download");
                continue;
            }
            bool append = response.StatusCode == HttpStatusCode.PartialContent && from > 0;
            if (blob is null)
            {
                // No blob id from the API: name the blob as huggingface_hub does, from the linked etag.
                blob = EtagOf(response) ?? throw new DlmException($"{repo}@{commit}: {file.Name}: the hub gave no ETag to name the cached file");
                if (File.Exists(Cache.BlobPath(repo, blob))) { Cache.Link(repo, commit, file.Name, blob); return (transferred, blob); }
                incomplete = Cache.BlobPath(repo, blob) + ".incomplete";
                append = false;
            }
            long? total = file.Size ?? (response.Content.Headers.ContentLength is { } len ? len + (append ? from : 0) : null);
            long done = append ? from : 0;
            bool broken = false;
            // Opened outside the try: a file held by another download is not a broken connection.
            var output = OpenIncomplete(incomplete!, append, repo, file.Name);
            await using (output.ConfigureAwait(false))
            try
            {
                await using var input = await response.Content.ReadAsStreamAsync(ct).ConfigureAwait(false);
                var buffer = new byte[1 << 16];
                int n;
                long lastReport = 0;
                while ((n = await input.ReadAsync(buffer, ct).ConfigureAwait(false)) > 0)
                {
                    await output.WriteAsync(buffer.AsMemory(0, n), ct).ConfigureAwait(false);
                    done += n;
                    transferred += n;
                    if (done - lastReport >= 1 << 20) { lastReport = done; progress?.Report(new DownloadProgress(file.Name, done, total, false, false)); }
                }
            }
            catch (Exception e) when (e is IOException or HttpRequestException && !ct.IsCancellationRequested)
            {
                broken = true;
                if (attempt >= _options.MaxAttempts)
                    throw new DlmException($"{repo}@{commit}: {file.Name}: the connection broke {attempt} times ({e.Message}); run again to resume from {incomplete}", e);
            }
            if (!broken && total is { } expected && done < expected)
            {
                broken = true; // the server closed early without an error: resume
                if (attempt >= _options.MaxAttempts)
                    throw new DlmException($"{repo}@{commit}: {file.Name}: got {done} of {expected} bytes after {attempt} attempts; run again to resume");
            }
            if (broken) continue;
            Verify(repo, commit, file, incomplete!, done);
            File.Move(incomplete!, Cache.BlobPath(repo, blob), overwrite: true);
            Cache.Link(repo, commit, file.Name, blob);
            progress?.Report(new DownloadProgress(file.Name, done, total ?? done, true, false));
            return (transferred, blob);
        }
    }

    private static FileStream OpenIncomplete(string path, bool append, string repo, string file)
    {
        try
        {
            return new FileStream(path, append ? FileMode.Append : FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true);
        }
        catch (IOException e)
        {
            throw new DlmException($"{repo}: {file}: {path} is being written by another download; wait for it or remove it", e);
        }
    }

    private static void Verify(string repo, string commit, RepoFile file, string incomplete, long length)
    {
        if (file.Size is { } size && size != length)
        {
            File.Delete(incomplete);
            throw new DlmException($"{repo}@{commit}: {file.Name}: got {length} bytes, the hub says {size}; the partial file was deleted");
        }
        if (file.Sha256 is not { } expected) return;
        string actual;
        using (var stream = File.OpenRead(incomplete)) actual = Convert.ToHexStringLower(SHA256.HashData(stream));
        if (!string.Equals(actual, expected, StringComparison.OrdinalIgnoreCase))
        {
            File.Delete(incomplete);
            throw new DlmException($"{repo}@{commit}: {file.Name}: sha256 {actual} does not match the hub's LFS sha256 {expected}; the download was refused and deleted");
        }
    }

    // huggingface_hub: X-Linked-Etag (set on the redirect of an LFS file) else ETag, without W/ and quotes.
    private static string? EtagOf(HttpResponseMessage response)
    {
        string? raw = response.Headers.TryGetValues("X-Linked-Etag", out var linked) ? linked.FirstOrDefault()
            : response.Headers.ETag?.Tag;
        if (raw is null) return null;
        if (raw.StartsWith("W/", StringComparison.Ordinal)) raw = raw[2..];
        raw = raw.Trim('"');
        return raw.Length == 0 || raw.Contains('/', StringComparison.Ordinal) || raw.Contains("..", StringComparison.Ordinal) ? null : raw;
    }

    /// <inheritdoc />
    public void Dispose() => _client.Dispose();
}
