using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Dlm.Hub.Tests;

/// <summary>
/// A Hugging Face hub on 127.0.0.1 (ephemeral port) serving tiny repositories in the hub's URL layout:
/// <c>/api/models/&lt;repo&gt;/revision/&lt;rev&gt;</c> (siblings with blobId, size, lfs) and
/// <c>/&lt;repo&gt;/resolve/&lt;rev&gt;/&lt;file&gt;</c> with Range, ETag, X-Repo-Commit and X-Linked-* headers.
/// It counts requests, can drop a connection midway, corrupt a file, or gate a repository.
/// </summary>
public sealed class FakeHub : IAsyncDisposable
{
    public sealed class Repo
    {
        public required string Id { get; init; }
        public required string Commit { get; init; }
        public Dictionary<string, byte[]> Files { get; } = new();
        public HashSet<string> Lfs { get; } = new();
        public bool Gated { get; init; }
        public string? License { get; init; }
    }

    private readonly WebApplication _app;
    private readonly ConcurrentDictionary<string, Repo> _repos = new();
    public ConcurrentQueue<string> Requests { get; } = new();
    /// <summary>Files whose next full transfer is cut after half of the bytes (the connection is aborted).</summary>
    public ConcurrentDictionary<string, int> DropOnce { get; } = new();
    /// <summary>Files served with one byte flipped (the API still gives the true sha256).</summary>
    public ConcurrentDictionary<string, bool> Corrupt { get; } = new();
    public string? RequiredToken { get; set; }
    /// <summary>When set, the API answers every revision with this commit (a hub that moved or lies).</summary>
    public string? AnswerAnyRevisionWith { get; set; }
    public string Endpoint { get; }

    private FakeHub(WebApplication app, string endpoint) { _app = app; Endpoint = endpoint; }

    public static async Task<FakeHub> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        FakeHub? hub = null;
        app.Run(ctx => hub!.HandleAsync(ctx));
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        hub = new FakeHub(app, address.TrimEnd('/'));
        return hub;
    }

    public Repo Add(string id, string commit, bool gated = false, string? license = null)
    {
        var r = new Repo { Id = id, Commit = commit, Gated = gated, License = license };
        _repos[id] = r;
        return r;
    }

    public int CountRequests(string contains) => Requests.Count(r => r.Contains(contains, StringComparison.Ordinal));

    private async Task HandleAsync(HttpContext ctx)
    {
        var path = Uri.UnescapeDataString(ctx.Request.Path.Value ?? "");
        var range = ctx.Request.Headers.Range.ToString();
        Requests.Enqueue($"{ctx.Request.Method} {path}{(range.Length > 0 ? " " + range : "")}");
        if (path.StartsWith("/api/models/", StringComparison.Ordinal))
        {
            var rest = path["/api/models/".Length..];
            int i = rest.IndexOf("/revision/", StringComparison.Ordinal);
            if (i < 0 || !_repos.TryGetValue(rest[..i], out var repo)) { ctx.Response.StatusCode = 404; return; }
            var rev = rest[(i + "/revision/".Length)..];
            if (rev != "main" && rev != repo.Commit && AnswerAnyRevisionWith is null) { ctx.Response.StatusCode = 404; return; }
            if (!Authorized(ctx, repo)) return;
            ctx.Response.ContentType = "application/json";
            await ctx.Response.WriteAsync(InfoJson(repo));
            return;
        }
        int r = path.IndexOf("/resolve/", StringComparison.Ordinal);
        if (r > 0 && _repos.TryGetValue(path[1..r], out var rp))
        {
            var tail = path[(r + "/resolve/".Length)..];
            int slash = tail.IndexOf('/', StringComparison.Ordinal);
            var rev = tail[..slash];
            var file = tail[(slash + 1)..];
            if ((rev != "main" && rev != rp.Commit) || !rp.Files.TryGetValue(file, out var bytes)) { ctx.Response.StatusCode = 404; return; }
            if (!Authorized(ctx, rp)) return;
            await ServeFileAsync(ctx, rp, file, bytes);
            return;
        }
        ctx.Response.StatusCode = 404;
    }

    private bool Authorized(HttpContext ctx, Repo repo)
    {
        if (!repo.Gated) return true;
        var auth = ctx.Request.Headers.Authorization.ToString();
        if (auth.Length == 0) { ctx.Response.StatusCode = 401; return false; }
        if (auth != $"Bearer {RequiredToken}") { ctx.Response.StatusCode = 403; return false; }
        return true;
    }

    private async Task ServeFileAsync(HttpContext ctx, Repo repo, string file, byte[] bytes)
    {
        var key = repo.Id + "/" + file;
        if (Corrupt.ContainsKey(key)) { bytes = (byte[])bytes.Clone(); bytes[bytes.Length / 2] ^= 0xFF; }
        var etag = BlobName(repo, file, bytes);
        ctx.Response.Headers["X-Repo-Commit"] = repo.Commit;
        ctx.Response.Headers.ETag = $"\"{etag}\"";
        if (repo.Lfs.Contains(file))
        {
            ctx.Response.Headers["X-Linked-Etag"] = $"\"{etag}\"";
            ctx.Response.Headers["X-Linked-Size"] = bytes.Length.ToString();
        }
        long start = 0;
        var range = ctx.Request.Headers.Range.ToString();
        if (range.StartsWith("bytes=", StringComparison.Ordinal))
        {
            start = long.Parse(range["bytes=".Length..].TrimEnd('-'));
            if (start >= bytes.Length) { ctx.Response.StatusCode = 416; return; }
            ctx.Response.StatusCode = 206;
            ctx.Response.Headers.ContentRange = $"bytes {start}-{bytes.Length - 1}/{bytes.Length}";
        }
        ctx.Response.Headers.AcceptRanges = "bytes";
        ctx.Response.ContentLength = bytes.Length - start;
        if (start == 0 && DropOnce.TryRemove(key, out _))
        {
            await ctx.Response.Body.WriteAsync(bytes.AsMemory(0, bytes.Length / 2));
            await ctx.Response.Body.FlushAsync();
            ctx.Abort();
            return;
        }
        await ctx.Response.Body.WriteAsync(bytes.AsMemory((int)start));
    }

    private static string BlobName(Repo repo, string file, byte[] servedOrTrue) =>
        repo.Lfs.Contains(file) ? Sha256(repo.Files[file]) : GitSha1(repo.Files[file]);

    public static string Sha256(byte[] b) => Convert.ToHexStringLower(SHA256.HashData(b));

    /// <summary>Git's blob id: sha1 of "blob &lt;size&gt;\0" then the bytes, as the hub's blobId.</summary>
    public static string GitSha1(byte[] b)
    {
        var header = Encoding.ASCII.GetBytes($"blob {b.Length}\0");
#pragma warning disable CA5350 // git names blobs by sha1; this is an identifier, not security
        return Convert.ToHexStringLower(SHA1.HashData([.. header, .. b]));
#pragma warning restore CA5350
    }

    private string InfoJson(Repo repo)
    {
        var siblings = repo.Files.Select(kv =>
        {
            var d = new Dictionary<string, object> { ["rfilename"] = kv.Key, ["blobId"] = GitSha1(kv.Value), ["size"] = kv.Value.Length };
            if (repo.Lfs.Contains(kv.Key))
                d["lfs"] = new Dictionary<string, object> { ["sha256"] = Sha256(kv.Value), ["size"] = kv.Value.Length, ["pointerSize"] = 134 };
            return d;
        }).ToList();
        var info = new Dictionary<string, object?>
        {
            ["_id"] = "0123", ["id"] = repo.Id, ["sha"] = AnswerAnyRevisionWith ?? repo.Commit, ["private"] = false,
            ["gated"] = repo.Gated ? "manual" : false, ["siblings"] = siblings,
        };
        if (repo.License is not null) info["cardData"] = new Dictionary<string, object> { ["license"] = repo.License };
        return JsonSerializer.Serialize(info);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
