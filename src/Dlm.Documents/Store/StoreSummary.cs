using System.Text.Json.Nodes;
using Dlm.Core;

namespace Dlm.Documents.Store;

/// <summary>
/// What <c>dlm show</c> tells about a document's store: where it is, the current version, every
/// version (rejected ones marked) and every run. Reading takes no lock and changes nothing.
/// </summary>
/// <param name="Path">The store folder.</param>
/// <param name="Exists">False when nothing was trained yet (the other fields are then empty).</param>
/// <param name="CurrentVersion">The version <c>current.txt</c> names; 0 when none.</param>
/// <param name="Versions">Committed versions in order.</param>
/// <param name="Runs">Training runs in order.</param>
/// <param name="LockedBy">The pid holding the lock, when one does.</param>
public sealed record StoreSummary(
    string Path,
    bool Exists,
    int CurrentVersion,
    IReadOnlyList<AdapterVersionRecord> Versions,
    IReadOnlyList<TrainingRunRecord> Runs,
    int? LockedBy)
{
    /// <summary>Reads the store of <paramref name="dlmId"/> under <paramref name="home"/> (default <see cref="DlmPaths.Home"/>).</summary>
    public static StoreSummary Read(string dlmId, string? home = null)
    {
        var store = DocumentStore.At(dlmId, home);
        if (!store.Exists) return new StoreSummary(store.Root, false, 0, [], [], null);
        var m = store.ReadManifest();
        return new StoreSummary(store.Root, true, store.CurrentVersion(), m.AdapterVersions, m.TrainingRuns,
            StoreLock.ReadHolder(store.Root)?.Pid);
    }

    /// <summary>
    /// The <c>store</c> object of <c>dlm show --json</c>:
    /// <c>{"path", "exists", "current_version", "versions": [...], "runs": [...], "locked_by"}</c>.
    /// </summary>
    public JsonObject ToJson() => new()
    {
        ["path"] = Path,
        ["exists"] = Exists,
        ["current_version"] = CurrentVersion,
        ["versions"] = new JsonArray([.. Versions.Select(v => (JsonNode)v.ToJson())]),
        ["runs"] = new JsonArray([.. Runs.Select(r => (JsonNode)r.ToJson())]),
        ["locked_by"] = LockedBy,
    };

    /// <summary>Human lines for <c>dlm show</c>: one for the store, one per version and run.</summary>
    public IEnumerable<string> ToLines()
    {
        if (!Exists)
        {
            yield return $"store: {Path} (not trained yet)";
            yield break;
        }
        yield return $"store: {Path} (current: {(CurrentVersion == 0 ? "none" : AdapterVersionRecord.FolderName(CurrentVersion))}"
            + (LockedBy is { } pid ? $", locked by pid {pid})" : ")");
        foreach (var v in Versions)
            yield return $"  {AdapterVersionRecord.FolderName(v.Version)}{(v.Rejected ? " rejected" : "")}  {Manifest.Time(v.CreatedAt)}"
                + (v.RunId is { } r ? $"  run {r}" : "");
        foreach (var r in Runs)
            yield return $"  run {r.RunId}: {TrainingRunRecord.StatusName(r.Status)}, {r.Steps} steps, seed {r.Seed}"
                + (r.FinalTrainLoss is { } l ? $", train loss {l:0.####}" : "")
                + (r.AdapterVersion is { } av ? $", {AdapterVersionRecord.FolderName(av)}" : "");
    }
}
