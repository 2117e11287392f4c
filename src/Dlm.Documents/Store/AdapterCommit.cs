using Dlm.Core;
using Dlm.Models.IO;

namespace Dlm.Documents.Store;

/// <summary>
/// Commits an adapter folder as the store's next version. The files are copied into a temp
/// folder beside the versions, their safetensors checked for NaN and infinity, then the folder is
/// renamed <c>vNNNN</c> and <c>adapter/current.txt</c> flipped atomically; a folder with a
/// non-finite value is renamed <c>vNNNN-rejected</c> and the pointer left alone. A process killed
/// at any point leaves the previous version current: the pointer only ever names complete folders.
/// </summary>
public static class AdapterCommit
{
    /// <summary>What a commit did.</summary>
    /// <param name="Version">The version number given to the folder.</param>
    /// <param name="Dir">The folder it now lives in.</param>
    /// <param name="Rejected">True when it held a non-finite value and was not made current.</param>
    /// <param name="Reason">Why it was rejected (the tensor and value), else null.</param>
    public sealed record Result(int Version, string Dir, bool Rejected, string? Reason);

    /// <summary>Commits <paramref name="sourceDir"/> into <paramref name="store"/> (see the type's summary).</summary>
    public static Result Commit(DocumentStore store, StoreLock held, string sourceDir, int? runId = null, Action<string>? onFileCopied = null)
    {
        try
        {
            return CommitCore(store, held, sourceDir, runId, onFileCopied);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new DlmException($"cannot commit {sourceDir} into {store?.Root}: {e.Message}");
        }
    }

    private static Result CommitCore(DocumentStore store, StoreLock held, string sourceDir, int? runId, Action<string>? onFileCopied)
    {
        ArgumentNullException.ThrowIfNull(store);
        store.RequireHeld(held);
        if (!Directory.Exists(sourceDir)) throw new DlmException($"adapter folder {sourceDir} does not exist");
        var manifest = store.ReadManifest();
        Directory.CreateDirectory(store.VersionsDir);
        RemoveStrayTemps(store.VersionsDir);

        int version = Math.Max(
            store.VersionFolders().Select(v => v.Version).DefaultIfEmpty(0).Max(),
            manifest.AdapterVersions.Select(v => v.Version).DefaultIfEmpty(0).Max()) + 1;
        var name = AdapterVersionRecord.FolderName(version);
        var tmp = Path.Combine(store.VersionsDir, $".tmp-{name}-{Guid.NewGuid():N}");
        try
        {
            CopyTree(sourceDir, tmp, onFileCopied);
        }
        catch
        {
            TryDeleteTree(tmp);
            throw;
        }

        var problem = FindNonFinite(tmp);
        var finalName = problem is null ? name : name + "-rejected";
        var finalDir = Path.Combine(store.VersionsDir, finalName);
        Directory.Move(tmp, finalDir);

        var modelFile = Path.Combine(finalDir, "adapter_model.safetensors");
        var configFile = Path.Combine(finalDir, "adapter_config.json");
        string? modelSha = File.Exists(modelFile) ? DocumentStore.Sha256Of(modelFile) : null;
        string? configSha = File.Exists(configFile) ? DocumentStore.Sha256Of(configFile) : null;
        var now = DateTimeOffset.UtcNow;
        var record = new AdapterVersionRecord(version, $"adapter/versions/{finalName}", now, runId, modelSha, problem is not null);

        if (problem is null)
        {
            AtomicFile.WriteAllText(store.CurrentPointerPath, $"adapter/versions/{name}\n");
            store.WriteManifest(held, manifest with
            {
                AdapterVersion = version,
                AdapterVersions = [.. manifest.AdapterVersions, record],
                AdapterSha256 = modelSha,
                AdapterConfigSha256 = configSha,
                UpdatedAt = now,
            });
        }
        else
        {
            store.WriteManifest(held, manifest with { AdapterVersions = [.. manifest.AdapterVersions, record], UpdatedAt = now });
        }
        return new Result(version, finalDir, problem is not null, problem);
    }

    /// <summary>The first non-finite value in any <c>*.safetensors</c> below <paramref name="dir"/>, described; null when all are finite.</summary>
    public static string? FindNonFinite(string dir)
    {
        foreach (var file in Directory.EnumerateFiles(dir, "*.safetensors", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            using var st = SafeTensorsFile.Open(file);
            foreach (var (tensorName, info) in st.Tensors.OrderBy(t => t.Key, StringComparer.Ordinal))
            {
                if (info.DType is not (SafeTensorDType.F32 or SafeTensorDType.F16 or SafeTensorDType.BF16)) continue;
                var values = st.ReadFloat32(tensorName);
                for (int i = 0; i < values.Length; i++)
                    if (!float.IsFinite(values[i]))
                        return $"{Path.GetRelativePath(dir, file)}: tensor {tensorName} holds {values[i]} at element {i}";
            }
        }
        return null;
    }

    private static void CopyTree(string from, string to, Action<string>? onFileCopied)
    {
        Directory.CreateDirectory(to);
        foreach (var entry in new DirectoryInfo(from).GetFileSystemInfos().OrderBy(e => e.Name, StringComparer.Ordinal))
        {
            var dest = Path.Combine(to, entry.Name);
            if (entry is DirectoryInfo) CopyTree(entry.FullName, dest, onFileCopied);
            else
            {
                using (var src = File.OpenRead(entry.FullName))
                using (var dst = new FileStream(dest, FileMode.CreateNew, FileAccess.Write))
                {
                    src.CopyTo(dst);
                    dst.Flush(flushToDisk: true);
                }
                onFileCopied?.Invoke(dest);
            }
        }
    }

    private static void RemoveStrayTemps(string versionsDir)
    {
        foreach (var d in Directory.GetDirectories(versionsDir, ".tmp-*")) TryDeleteTree(d);
    }

    private static void TryDeleteTree(string dir)
    {
        try { if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}
