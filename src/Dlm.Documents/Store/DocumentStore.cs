using System.Globalization;
using System.Security.Cryptography;
using System.Text.RegularExpressions;
using Dlm.Core;

namespace Dlm.Documents.Store;

/// <summary>
/// One document's store, <c>$DLM_HOME/store/&lt;dlm_id&gt;/</c> (R2 "Store"):
/// <c>manifest.json</c>, the <c>.lock</c>, <c>adapter/versions/vNNNN/</c> with
/// <c>adapter/current.txt</c>, and <c>logs/</c>. Reading needs no lock; every write goes through a
/// <see cref="StoreLock"/> taken with <see cref="AcquireLock"/>.
/// </summary>
public sealed partial class DocumentStore
{
    private DocumentStore(string dlmId, string root)
    {
        DlmId = dlmId;
        Root = root;
    }

    /// <summary>The document id this store belongs to.</summary>
    public string DlmId { get; }

    /// <summary>The store folder.</summary>
    public string Root { get; }

    /// <summary><c>manifest.json</c>.</summary>
    public string ManifestPath => Path.Combine(Root, "manifest.json");

    /// <summary><c>adapter/versions</c>.</summary>
    public string VersionsDir => Path.Combine(Root, "adapter", "versions");

    /// <summary><c>adapter/current.txt</c>: the store-relative folder of the current adapter.</summary>
    public string CurrentPointerPath => Path.Combine(Root, "adapter", "current.txt");

    /// <summary><c>logs</c>.</summary>
    public string LogsDir => Path.Combine(Root, "logs");

    /// <summary>True when the store has a manifest.</summary>
    public bool Exists => File.Exists(ManifestPath);

    /// <summary>The store folder of <paramref name="dlmId"/> under <paramref name="home"/> (default <see cref="DlmPaths.Home"/>).</summary>
    public static string PathFor(string dlmId, string? home = null)
    {
        CheckId(dlmId);
        return Path.Combine(home ?? DlmPaths.Home, "store", dlmId);
    }

    /// <summary>The store of <paramref name="dlmId"/>, whether or not it exists yet; nothing is written.</summary>
    public static DocumentStore At(string dlmId, string? home = null) => new(dlmId, PathFor(dlmId, home));

    /// <summary>Takes the store's writer lock (see <see cref="StoreLock"/>).</summary>
    public StoreLock AcquireLock() => StoreLock.Acquire(Root);

    /// <summary>
    /// Reads the manifest, or creates it (under <paramref name="held"/>) for a new store with the
    /// document's <paramref name="baseModel"/> and <paramref name="sourcePath"/>; an existing
    /// manifest gets those two refreshed.
    /// </summary>
    public Manifest OpenOrCreate(StoreLock held, string baseModel, string sourcePath, string? baseModelRevision = null)
    {
        RequireHeld(held);
        var now = DateTimeOffset.UtcNow;
        Manifest m;
        if (Exists)
        {
            m = ReadManifest() with { BaseModel = baseModel, SourcePath = sourcePath, UpdatedAt = now };
            if (baseModelRevision is not null) m = m with { BaseModelRevision = baseModelRevision };
        }
        else
        {
            m = new Manifest
            {
                DlmId = DlmId,
                BaseModel = baseModel,
                BaseModelRevision = baseModelRevision,
                SourcePath = sourcePath,
                CreatedAt = now,
                UpdatedAt = now,
            };
        }
        Directory.CreateDirectory(VersionsDir);
        Directory.CreateDirectory(LogsDir);
        WriteManifest(held, m);
        return m;
    }

    /// <summary>Reads the manifest (no lock needed: it is only ever replaced whole).</summary>
    public Manifest ReadManifest()
    {
        if (!Exists) throw new DlmException($"no store for {DlmId} at {Root}");
        var m = Manifest.Load(ManifestPath);
        if (m.DlmId != DlmId) throw new DlmException($"{ManifestPath}: dlm_id is {m.DlmId}, expected {DlmId}");
        return m;
    }

    /// <summary>Replaces the manifest atomically (sorted keys, 2-space indent, trailing newline).</summary>
    public void WriteManifest(StoreLock held, Manifest manifest)
    {
        RequireHeld(held);
        ArgumentNullException.ThrowIfNull(manifest);
        StoreJson.WriteAtomic(ManifestPath, manifest.ToJson());
    }

    /// <summary>The current adapter folder (absolute), or null when there is none.</summary>
    public string? CurrentAdapterDir()
    {
        if (!File.Exists(CurrentPointerPath)) return null;
        var rel = File.ReadAllText(CurrentPointerPath).TrimEnd('\n');
        if (!PointerRegex().IsMatch(rel)) throw new DlmException($"{CurrentPointerPath}: not a version pointer: '{rel}'");
        var dir = Path.Combine(Root, rel);
        return Directory.Exists(dir) ? dir : throw new DlmException($"{CurrentPointerPath}: points at missing {rel}");
    }

    /// <summary>The current version number (0 when none), read from <c>current.txt</c>.</summary>
    public int CurrentVersion()
    {
        var dir = CurrentAdapterDir();
        return dir is null ? 0 : int.Parse(Path.GetFileName(dir).AsSpan(1), CultureInfo.InvariantCulture);
    }

    /// <summary>Version folders on disk (committed ones, rejected ones marked), in version order; temp folders ignored.</summary>
    public IReadOnlyList<(int Version, string Dir, bool Rejected)> VersionFolders()
    {
        if (!Directory.Exists(VersionsDir)) return [];
        var list = new List<(int, string, bool)>();
        foreach (var d in Directory.GetDirectories(VersionsDir))
        {
            var m = VersionFolderRegex().Match(Path.GetFileName(d));
            if (m.Success) list.Add((int.Parse(m.Groups[1].ValueSpan, CultureInfo.InvariantCulture), d, m.Groups[2].Success));
        }
        list.Sort((a, b) => a.Item1.CompareTo(b.Item1));
        return list;
    }

    /// <summary>Starts a training run: a <c>running</c> record in the manifest and its JSONL log with a banner line.</summary>
    public TrainingRun BeginRun(StoreLock held, long seed, string? baseModelRevision = null) =>
        TrainingRun.Begin(this, held, seed, baseModelRevision);

    internal void RequireHeld(StoreLock held)
    {
        ArgumentNullException.ThrowIfNull(held);
        if (!string.Equals(Path.GetDirectoryName(held.LockPath), Root, StringComparison.Ordinal))
            throw new InvalidOperationException($"the lock {held.LockPath} is not this store's");
    }

    internal static string Sha256Of(string path)
    {
        using var s = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(s));
    }

    private static void CheckId(string dlmId)
    {
        ArgumentNullException.ThrowIfNull(dlmId);
        if (!IdRegex().IsMatch(dlmId)) throw new DlmException($"dlm_id '{dlmId}' is not a 26-character ULID");
    }

    [GeneratedRegex("^[0-9A-HJKMNP-TV-Z]{26}$")]
    private static partial Regex IdRegex();

    [GeneratedRegex(@"^adapter/versions/v\d{4,}$")]
    private static partial Regex PointerRegex();

    [GeneratedRegex(@"^v(\d{4,})(-rejected)?$")]
    private static partial Regex VersionFolderRegex();
}
