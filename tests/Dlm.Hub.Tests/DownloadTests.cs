using Dlm.Core;

namespace Dlm.Hub.Tests;

public sealed class DownloadTests
{
    private const string Repo = "tiny-org/tiny-model";

    private static HubOptions Options(FakeHub hub, TempDir dir, bool offline = false, string? token = null) =>
        new() { Endpoint = hub.Endpoint, CacheDir = dir.Path, Offline = offline, Token = token, MaxParallelFiles = 3 };

    private static async Task<DownloadResult> Pull(HubOptions o, string revision = "main", IProgress<DownloadProgress>? progress = null)
    {
        using var d = new ModelDownloader(o);
        return await d.DownloadAsync(Repo, revision, progress);
    }

    [Fact]
    public async Task Full_download_writes_the_huggingface_cache_layout()
    {
        await using var hub = await FakeHub.StartAsync();
        var repo = TinyModel.AddTo(hub, Repo);
        using var dir = new TempDir();
        var result = await Pull(Options(hub, dir));

        Assert.False(result.FromCache);
        Assert.Equal(TinyModel.Commit, result.Commit);
        var root = Path.Combine(dir.Path, "models--tiny-org--tiny-model");
        Assert.Equal(TinyModel.Commit, File.ReadAllText(Path.Combine(root, "refs", "main")));
        Assert.Equal(Path.Combine(root, "snapshots", TinyModel.Commit), result.SnapshotDir);
        string[] expected = ["config.json", "generation_config.json", "model.safetensors", "special_tokens_map.json", "tokenizer.json", "tokenizer_config.json"];
        Assert.Equal(expected, result.Files);
        foreach (var f in expected)
        {
            var link = new FileInfo(Path.Combine(result.SnapshotDir, f));
            var blob = repo.Lfs.Contains(f) ? FakeHub.Sha256(repo.Files[f]) : FakeHub.GitSha1(repo.Files[f]);
            Assert.Equal("../../blobs/" + blob, link.LinkTarget);
            Assert.Equal(repo.Files[f], File.ReadAllBytes(link.FullName));
        }
        Assert.False(File.Exists(Path.Combine(result.SnapshotDir, "pytorch_model.bin")));
        Assert.False(Directory.Exists(Path.Combine(result.SnapshotDir, "onnx")));
        Assert.Empty(Directory.GetFiles(Path.Combine(root, "blobs"), "*.incomplete"));
        Assert.Equal(0, hub.CountRequests("pytorch_model.bin"));
        // tokenizer_config.json and special_tokens_map.json have the same bytes: one blob, transferred once.
        Assert.Equal(expected.Select(f => repo.Files[f]).DistinctBy(FakeHub.GitSha1).Sum(b => (long)b.Length), result.BytesDownloaded);
        Assert.Equal(new FileInfo(Path.Combine(result.SnapshotDir, "tokenizer_config.json")).LinkTarget,
            new FileInfo(Path.Combine(result.SnapshotDir, "special_tokens_map.json")).LinkTarget);
    }

    [Fact]
    public async Task Second_run_uses_the_cache_without_any_request()
    {
        await using var hub = await FakeHub.StartAsync();
        TinyModel.AddTo(hub, Repo);
        using var dir = new TempDir();
        await Pull(Options(hub, dir));
        int before = hub.Requests.Count;
        var again = await Pull(Options(hub, dir), TinyModel.Commit);
        var viaRef = await Pull(Options(hub, dir), "main");
        Assert.True(again.FromCache);
        Assert.True(viaRef.FromCache);
        Assert.Equal(before, hub.Requests.Count);
        Assert.Equal(0, again.BytesDownloaded);
    }

    [Fact]
    public async Task Interrupted_download_resumes_with_a_range_request()
    {
        await using var hub = await FakeHub.StartAsync();
        var repo = TinyModel.AddTo(hub, Repo);
        hub.DropOnce[Repo + "/model.safetensors"] = 1;
        using var dir = new TempDir();
        var result = await Pull(Options(hub, dir));
        var size = repo.Files["model.safetensors"].Length;
        var resumes = hub.Requests.Where(r => r.Contains("/resolve/") && r.Contains("model.safetensors") && r.Contains("bytes=")).ToList();
        var resume = Assert.Single(resumes);
        long from = long.Parse(resume[(resume.IndexOf("bytes=", StringComparison.Ordinal) + 6)..].TrimEnd('-'));
        Assert.InRange(from, 1, size - 1);
        Assert.Equal(repo.Files["model.safetensors"], File.ReadAllBytes(Path.Combine(result.SnapshotDir, "model.safetensors")));
    }

    [Fact]
    public async Task Partial_file_left_by_an_earlier_run_is_resumed()
    {
        await using var hub = await FakeHub.StartAsync();
        var repo = TinyModel.AddTo(hub, Repo);
        using var dir = new TempDir();
        var bytes = repo.Files["model.safetensors"];
        var blobs = Path.Combine(dir.Path, "models--tiny-org--tiny-model", "blobs");
        Directory.CreateDirectory(blobs);
        File.WriteAllBytes(Path.Combine(blobs, FakeHub.Sha256(bytes) + ".incomplete"), bytes[..1000]);
        var result = await Pull(Options(hub, dir));
        Assert.Contains(hub.Requests, r => r.Contains("model.safetensors") && r.EndsWith("bytes=1000-", StringComparison.Ordinal));
        Assert.Equal(bytes, File.ReadAllBytes(Path.Combine(result.SnapshotDir, "model.safetensors")));
        Assert.Equal(bytes.Length - 1000 + repo.Files.Where(kv => kv.Key.EndsWith(".json")).Select(kv => kv.Value).DistinctBy(FakeHub.GitSha1).Sum(b => b.Length), result.BytesDownloaded);
    }

    [Fact]
    public async Task Corrupt_file_is_refused_and_deleted()
    {
        await using var hub = await FakeHub.StartAsync();
        TinyModel.AddTo(hub, Repo);
        hub.Corrupt[Repo + "/model.safetensors"] = true;
        using var dir = new TempDir();
        var e = await Assert.ThrowsAsync<DlmException>(() => Pull(Options(hub, dir)));
        Assert.Contains("model.safetensors: sha256", e.Message);
        Assert.Contains("does not match", e.Message);
        var blobs = Path.Combine(dir.Path, "models--tiny-org--tiny-model", "blobs");
        Assert.Empty(Directory.GetFiles(blobs, "*.incomplete"));
        Assert.False(File.Exists(Path.Combine(dir.Path, "models--tiny-org--tiny-model", "snapshots", TinyModel.Commit, "model.safetensors")));
    }

    [Fact]
    public async Task Gated_repo_without_token_is_401_naming_HF_TOKEN_and_the_licence()
    {
        await using var hub = await FakeHub.StartAsync();
        TinyModel.AddTo(hub, Repo, gated: true);
        hub.RequiredToken = "secret";
        using var dir = new TempDir();
        var e = await Assert.ThrowsAsync<DlmException>(() => Pull(Options(hub, dir)));
        Assert.Contains("401", e.Message);
        Assert.Contains("HF_TOKEN", e.Message);
        Assert.Contains("licence", e.Message);
        Assert.Contains(hub.Endpoint + "/" + Repo, e.Message);

        var wrong = await Assert.ThrowsAsync<DlmException>(() => Pull(Options(hub, dir, token: "nope")));
        Assert.Contains("403", wrong.Message);
        Assert.Contains("HF_TOKEN", wrong.Message);

        var ok = await Pull(Options(hub, dir, token: "secret"));
        Assert.True(File.Exists(Path.Combine(ok.SnapshotDir, "model.safetensors")));
    }

    [Fact]
    public async Task Offline_without_cache_names_what_is_missing_and_makes_no_request()
    {
        await using var hub = await FakeHub.StartAsync();
        TinyModel.AddTo(hub, Repo);
        using var dir = new TempDir();
        var e = await Assert.ThrowsAsync<DlmException>(() => Pull(Options(hub, dir, offline: true)));
        Assert.Contains("offline", e.Message);
        Assert.Contains(Path.Combine("models--tiny-org--tiny-model", "refs", "main"), e.Message);
        Assert.Empty(hub.Requests);
    }

    [Fact]
    public async Task Offline_with_cache_works_and_an_incomplete_snapshot_names_the_missing_file()
    {
        await using var hub = await FakeHub.StartAsync();
        TinyModel.AddTo(hub, Repo);
        using var dir = new TempDir();
        var online = await Pull(Options(hub, dir));
        int before = hub.Requests.Count;
        var offline = await Pull(Options(hub, dir, offline: true));
        Assert.True(offline.FromCache);
        Assert.Equal(online.SnapshotDir, offline.SnapshotDir);

        File.Delete(Path.Combine(online.SnapshotDir, "model.safetensors"));
        var e = await Assert.ThrowsAsync<DlmException>(() => Pull(Options(hub, dir, offline: true)));
        Assert.Contains("lacks model.safetensors", e.Message);
        Assert.Equal(before, hub.Requests.Count);

        // Online again, the missing link is restored from the blob already there: no transfer.
        var healed = await Pull(Options(hub, dir));
        Assert.Equal(0, healed.BytesDownloaded);
        Assert.True(File.Exists(Path.Combine(online.SnapshotDir, "model.safetensors")));
    }

    [Fact]
    public async Task Sharded_safetensors_are_all_downloaded()
    {
        await using var hub = await FakeHub.StartAsync();
        var repo = TinyModel.AddTo(hub, Repo, shards: 3);
        using var dir = new TempDir();
        var result = await Pull(Options(hub, dir));
        Assert.Contains("model.safetensors.index.json", result.Files);
        for (int s = 1; s <= 3; s++)
        {
            var f = $"model-{s:00000}-of-00003.safetensors";
            Assert.Equal(repo.Files[f], File.ReadAllBytes(Path.Combine(result.SnapshotDir, f)));
        }
        Assert.Empty(HubCache.MissingModelFiles(result.SnapshotDir));
        Assert.True((await Pull(Options(hub, dir))).FromCache);
    }

    [Fact]
    public async Task Cache_written_by_a_python_tool_is_reused_with_no_network()
    {
        await using var hub = await FakeHub.StartAsync();
        var repo = TinyModel.AddTo(hub, Repo);
        using var dir = new TempDir();
        // What huggingface_hub.snapshot_download leaves: blobs named by sha256 / git sha1, relative links, refs/main.
        var root = Path.Combine(dir.Path, "models--tiny-org--tiny-model");
        var snap = Path.Combine(root, "snapshots", TinyModel.Commit);
        Directory.CreateDirectory(Path.Combine(root, "blobs"));
        Directory.CreateDirectory(Path.Combine(root, "refs"));
        Directory.CreateDirectory(snap);
        File.WriteAllText(Path.Combine(root, "refs", "main"), TinyModel.Commit);
        foreach (var f in new[] { "config.json", "tokenizer.json", "model.safetensors" })
        {
            var blob = repo.Lfs.Contains(f) ? FakeHub.Sha256(repo.Files[f]) : FakeHub.GitSha1(repo.Files[f]);
            File.WriteAllBytes(Path.Combine(root, "blobs", blob), repo.Files[f]);
            File.CreateSymbolicLink(Path.Combine(snap, f), "../../blobs/" + blob);
        }
        var result = await Pull(Options(hub, dir));
        Assert.True(result.FromCache);
        Assert.Empty(hub.Requests);
        var resolved = new BaseModelResolver(Options(hub, dir)).Resolve("hf:" + Repo, revision: TinyModel.Commit);
        Assert.Equal(snap, resolved.LocalPath);
        Assert.Equal(256, resolved.ContextLength);
        Assert.Empty(hub.Requests);
    }

    [Fact]
    public async Task Progress_reports_every_file_finished()
    {
        await using var hub = await FakeHub.StartAsync();
        TinyModel.AddTo(hub, Repo);
        using var dir = new TempDir();
        var seen = new System.Collections.Concurrent.ConcurrentBag<DownloadProgress>();
        var result = await Pull(Options(hub, dir), progress: new SyncProgress(seen.Add));
        Assert.Equal(result.Files, seen.Where(p => p.Finished).Select(p => p.File).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task A_hub_answering_another_commit_than_the_pinned_one_is_refused()
    {
        await using var hub = await FakeHub.StartAsync();
        TinyModel.AddTo(hub, Repo);
        using var dir = new TempDir();
        hub.AnswerAnyRevisionWith = TinyModel.Commit;
        var pinned = new string('a', 40);
        var e = await Assert.ThrowsAsync<DlmException>(() => Pull(Options(hub, dir), pinned));
        Assert.Contains("refusing a snapshot that is not the pinned one", e.Message);
        Assert.Empty(HubCacheBlobs(dir));
        Assert.Equal(0, hub.CountRequests("/resolve/"));
    }

    private static string[] HubCacheBlobs(TempDir dir)
    {
        var blobs = Path.Combine(dir.Path, "models--tiny-org--tiny-model", "blobs");
        return Directory.Exists(blobs) ? Directory.GetFiles(blobs) : [];
    }

    private sealed class SyncProgress(Action<DownloadProgress> report) : IProgress<DownloadProgress>
    {
        public void Report(DownloadProgress value) => report(value);
    }
}
