using System.Text.Json;
using System.Text.RegularExpressions;
using Dlm.Core;

namespace Dlm.Hub;

/// <summary>
/// Turns a document's <c>base_model</c> into something to download or load: a registry key, an
/// off-registry <c>hf:org/name</c> (its revision resolved through the hub API and pinned) or a local folder.
/// </summary>
public sealed partial class BaseModelResolver(HubOptions options, HttpMessageHandler? handler = null)
{
    private readonly HubCache _cache = new(options.CacheDir);

    /// <summary>The flag a user passes to accept a gated model's licence.</summary>
    public const string AcceptLicenseFlag = "--i-accept-license";

    /// <summary>Resolves <paramref name="spec"/>; see <see cref="ResolveAsync"/>.</summary>
    public ResolvedBase Resolve(string spec, bool acceptLicense = false, string? revision = null) =>
        ResolveAsync(spec, acceptLicense, revision).GetAwaiter().GetResult();

    /// <summary>
    /// Resolves <paramref name="spec"/>. A gated model without <paramref name="acceptLicense"/> is refused
    /// with a message naming <see cref="AcceptLicenseFlag"/>. <paramref name="revision"/> overrides the pin
    /// (a branch is resolved to its commit). Offline, an <c>hf:</c> branch resolves through the cache's refs.
    /// </summary>
    public async Task<ResolvedBase> ResolveAsync(string spec, bool acceptLicense = false, string? revision = null, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(spec);
        spec = spec.Trim();
        if (spec.StartsWith("hf:", StringComparison.Ordinal)) return await ResolveHubAsync(spec, spec[3..], acceptLicense, revision, ct).ConfigureAwait(false);
        if (BaseRegistry.Find(spec) is { } entry)
        {
            if (entry.Gated && !acceptLicense) throw GatedRefusal(entry.Key, entry.Repo, entry.License);
            var rev = revision is null ? entry.Revision : await PinAsync(entry.Repo, revision, ct).ConfigureAwait(false);
            return new ResolvedBase(BaseModelKind.Registry, spec, entry.Key, entry.Repo, rev, entry.Renderer, entry.ContextLength,
                entry.License, entry.Gated, entry.Gated && acceptLicense, CachedSnapshot(entry.Repo, rev), entry.LoraTargetModules);
        }
        if (LooksLikePath(spec))
        {
            var dir = Path.GetFullPath(spec.StartsWith('~') ? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), spec.TrimStart('~', '/')) : spec);
            if (!Directory.Exists(dir)) throw new DlmException($"{spec}: no such folder (a base model is a registry key, hf:org/name or a model folder)");
            var missing = HubCache.MissingModelFiles(dir);
            if (missing.Count > 0) throw new DlmException($"{spec}: not a model folder: it lacks {string.Join(", ", missing)}");
            return new ResolvedBase(BaseModelKind.LocalPath, spec, null, null, null, null, ContextFromConfig(dir), null, false, false, dir, BaseRegistry.AttentionProjections);
        }
        throw new DlmException(
            $"unknown base model '{spec}': expected a registry key ({string.Join(", ", BaseRegistry.All.Select(e => e.Key))}), hf:org/name or a model folder");
    }

    private async Task<ResolvedBase> ResolveHubAsync(string spec, string repo, bool acceptLicense, string? revision, CancellationToken ct)
    {
        if (!RepoPattern().IsMatch(repo)) throw new DlmException($"{spec}: expected hf:org/name");
        revision ??= "main";
        string commit;
        bool gated = false;
        string? license = null;
        if (options.Offline || (HubCache.IsCommit(revision) && CachedSnapshot(repo, revision) is not null))
        {
            commit = _cache.TryResolveCommit(repo, revision)
                ?? throw new DlmException($"offline (HF_HUB_OFFLINE or --offline): {repo}@{revision} is not in the cache {_cache.Root}; resolve it once with the network");
        }
        else
        {
            using var client = new HubClient(options, handler);
            var info = await client.GetRepoInfoAsync(repo, revision, ct).ConfigureAwait(false);
            commit = info.Commit;
            gated = info.Gated;
            license = info.License;
            if (!HubCache.IsCommit(revision)) _cache.WriteRef(repo, revision, commit);
        }
        if (gated && !acceptLicense) throw GatedRefusal(spec, repo, license);
        var local = CachedSnapshot(repo, commit);
        return new ResolvedBase(BaseModelKind.HuggingFace, spec, null, repo, commit, null, local is null ? null : ContextFromConfig(local),
            license, gated, gated && acceptLicense, local, BaseRegistry.AttentionProjections);
    }

    private async Task<string> PinAsync(string repo, string revision, CancellationToken ct)
    {
        if (HubCache.IsCommit(revision)) return revision;
        if (options.Offline)
            return _cache.TryResolveCommit(repo, revision)
                ?? throw new DlmException($"offline (HF_HUB_OFFLINE or --offline): {repo}@{revision} is not in the cache {_cache.Root}");
        using var client = new HubClient(options, handler);
        var commit = (await client.GetRepoInfoAsync(repo, revision, ct).ConfigureAwait(false)).Commit;
        _cache.WriteRef(repo, revision, commit);
        return commit;
    }

    private DlmException GatedRefusal(string name, string repo, string? license) => new(
        $"{name} ({repo}) is gated{(license is null ? "" : $" under the {license} licence")}: read it at {options.Endpoint}/{repo}, request access there, and pass {AcceptLicenseFlag} to accept it");

    private string? CachedSnapshot(string repo, string commit)
    {
        var dir = _cache.SnapshotDir(repo, commit);
        return HubCache.MissingModelFiles(dir).Count == 0 ? dir : null;
    }

    private static int? ContextFromConfig(string dir)
    {
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(dir, "config.json")));
            return doc.RootElement.TryGetProperty("max_position_embeddings", out var m) && m.TryGetInt32(out var n) ? n : null;
        }
        catch (JsonException e)
        {
            throw new DlmException($"{Path.Combine(dir, "config.json")}: not valid JSON: {e.Message}", e);
        }
    }

    private static bool LooksLikePath(string spec) =>
        spec.StartsWith('/') || spec.StartsWith('.') || spec.StartsWith('~') || Directory.Exists(spec);

    [GeneratedRegex(@"^[A-Za-z0-9][\w.\-]*/[\w.\-]+$")]
    private static partial Regex RepoPattern();
}
