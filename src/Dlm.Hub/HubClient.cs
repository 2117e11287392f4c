using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Dlm.Core;

namespace Dlm.Hub;

/// <summary>
/// The hub's HTTP surface: the model API (<c>/api/models/&lt;repo&gt;/revision/&lt;rev&gt;</c>) and file
/// downloads (<c>/&lt;repo&gt;/resolve/&lt;rev&gt;/&lt;file&gt;</c>), with the token as a Bearer header.
/// Every failure a user can fix becomes a one-line <see cref="DlmException"/>.
/// </summary>
public sealed class HubClient : IDisposable
{
    private readonly HttpClient _http;
    private readonly HubOptions _options;

    /// <summary>A client for <paramref name="options"/>; <paramref name="handler"/> replaces the network (tests).</summary>
    public HubClient(HubOptions options, HttpMessageHandler? handler = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _http = handler is null ? new HttpClient() : new HttpClient(handler, disposeHandler: false);
        _http.Timeout = Timeout.InfiniteTimeSpan; // big files; a stalled read is cancelled by the caller
        _http.DefaultRequestHeaders.UserAgent.ParseAdd("dlm/0.1");
    }

    /// <summary>The repository's commit and files at <paramref name="revision"/>.</summary>
    public async Task<RepoInfo> GetRepoInfoAsync(string repo, string revision, CancellationToken ct = default)
    {
        var url = $"{_options.Endpoint}/api/models/{repo}/revision/{Uri.EscapeDataString(revision)}?blobs=true";
        using var request = NewRequest(HttpMethod.Get, url);
        using var response = await SendAsync(request, HttpCompletionOption.ResponseContentRead, ct).ConfigureAwait(false);
        EnsureOk(response, repo, revision, null);
        var body = await response.Content.ReadAsByteArrayAsync(ct).ConfigureAwait(false);
        try
        {
            return ParseRepoInfo(repo, body);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or KeyNotFoundException)
        {
            throw new DlmException($"{url}: not a model API answer: {e.Message}", e);
        }
    }

    internal static RepoInfo ParseRepoInfo(string repo, byte[] body)
    {
        using var doc = JsonDocument.Parse(body);
        var root = doc.RootElement;
        var commit = root.GetProperty("sha").GetString() ?? throw new InvalidOperationException("\"sha\" is null");
        var files = new List<RepoFile>();
        if (root.TryGetProperty("siblings", out var siblings))
        {
            foreach (var s in siblings.EnumerateArray())
            {
                var name = s.GetProperty("rfilename").GetString()!;
                string? blobId = s.TryGetProperty("blobId", out var b) ? b.GetString() : null;
                long? size = s.TryGetProperty("size", out var sz) && sz.ValueKind == JsonValueKind.Number ? sz.GetInt64() : null;
                string? sha = null;
                if (s.TryGetProperty("lfs", out var lfs) && lfs.ValueKind == JsonValueKind.Object)
                {
                    sha = lfs.TryGetProperty("sha256", out var h) ? h.GetString() : null;
                    if (lfs.TryGetProperty("size", out var ls) && ls.ValueKind == JsonValueKind.Number) size = ls.GetInt64();
                }
                files.Add(new RepoFile(name, blobId, size, sha));
            }
        }
        bool gated = root.TryGetProperty("gated", out var g) && g.ValueKind switch
        {
            JsonValueKind.String => !string.Equals(g.GetString(), "false", StringComparison.OrdinalIgnoreCase),
            JsonValueKind.True => true,
            _ => false,
        };
        string? license = root.TryGetProperty("cardData", out var card) && card.ValueKind == JsonValueKind.Object
            && card.TryGetProperty("license", out var l) && l.ValueKind == JsonValueKind.String ? l.GetString() : null;
        return new RepoInfo(repo, commit, files, gated, license);
    }

    /// <summary>
    /// Starts the download of <paramref name="file"/> at <paramref name="commit"/>, from byte
    /// <paramref name="from"/> on (a Range request when above 0). The caller reads and disposes the response;
    /// <see cref="HttpStatusCode.PartialContent"/> means the range was honoured, OK means the whole file came.
    /// </summary>
    public async Task<HttpResponseMessage> GetFileAsync(string repo, string commit, string file, long from, CancellationToken ct)
    {
        var url = ResolveUrl(repo, commit, file);
        using var request = NewRequest(HttpMethod.Get, url);
        if (from > 0) request.Headers.Range = new RangeHeaderValue(from, null);
        // Transfers must be byte-exact: no content encoding, so ranges and sizes refer to the file itself.
        request.Headers.AcceptEncoding.Add(new StringWithQualityHeaderValue("identity"));
        var response = await SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct).ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.RequestedRangeNotSatisfiable) return response;
        try
        {
            EnsureOk(response, repo, commit, file);
        }
        catch
        {
            response.Dispose();
            throw;
        }
        return response;
    }

    /// <summary>The file's URL in the hub layout: <c>&lt;endpoint&gt;/&lt;repo&gt;/resolve/&lt;rev&gt;/&lt;file&gt;</c>.</summary>
    public string ResolveUrl(string repo, string revision, string file) =>
        $"{_options.Endpoint}/{repo}/resolve/{Uri.EscapeDataString(revision)}/{string.Join('/', file.Split('/').Select(Uri.EscapeDataString))}";

    private HttpRequestMessage NewRequest(HttpMethod method, string url)
    {
        var request = new HttpRequestMessage(method, url);
        if (_options.Token is { } token) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return request;
    }

    private async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, HttpCompletionOption completion, CancellationToken ct)
    {
        try
        {
            return await _http.SendAsync(request, completion, ct).ConfigureAwait(false);
        }
        catch (HttpRequestException e)
        {
            throw new DlmException(
                $"cannot reach {_options.Endpoint} ({e.Message}); set HF_HUB_OFFLINE=1 or pass --offline to use the local cache only", e);
        }
    }

    private void EnsureOk(HttpResponseMessage response, string repo, string revision, string? file)
    {
        if (response.IsSuccessStatusCode) return;
        var what = file is null ? $"{repo}@{revision}" : $"{repo}@{revision}: {file}";
        var page = $"{_options.Endpoint}/{repo}";
        throw response.StatusCode switch
        {
            HttpStatusCode.Unauthorized when _options.Token is null => new DlmException(
                $"{what}: 401 Unauthorized: the repository is gated or private; accept its licence at {page} and set HF_TOKEN to an access token of that account"),
            HttpStatusCode.Unauthorized => new DlmException(
                $"{what}: 401 Unauthorized: the hub refused the token in HF_TOKEN; check it, and that its account accepted the licence at {page}"),
            HttpStatusCode.Forbidden => new DlmException(
                $"{what}: 403 Forbidden: the account behind HF_TOKEN has no access; accept the licence at {page} (gated repositories need an approved request)"),
            HttpStatusCode.NotFound => new DlmException(
                $"{what}: 404 Not Found: no such repository, revision or file at {_options.Endpoint}"),
            _ => new DlmException($"{what}: the hub answered {(int)response.StatusCode} {response.ReasonPhrase}"),
        };
    }

    /// <inheritdoc />
    public void Dispose() => _http.Dispose();
}
