using System.Text.Json.Nodes;

namespace Dlm.Documents.Store;

/// <summary>One entry of the manifest's <c>adapter_versions</c>: a committed adapter folder.</summary>
/// <param name="Version">1-based version number (<c>v0001</c> is 1).</param>
/// <param name="Path">Store-relative folder, e.g. <c>adapter/versions/v0001</c> (or <c>...-rejected</c>).</param>
/// <param name="CreatedAt">When it was committed (UTC).</param>
/// <param name="RunId">The run that produced it, when known.</param>
/// <param name="AdapterSha256">SHA-256 of its <c>adapter_model.safetensors</c>, when present.</param>
/// <param name="Rejected">True when it held NaN or infinite values and was not made current.</param>
public sealed record AdapterVersionRecord(int Version, string Path, DateTimeOffset CreatedAt, int? RunId, string? AdapterSha256, bool Rejected)
{
    /// <summary>The JSON form.</summary>
    public JsonObject ToJson() => new()
    {
        ["version"] = Version,
        ["path"] = Path,
        ["created_at"] = Manifest.Time(CreatedAt),
        ["run_id"] = RunId,
        ["adapter_sha256"] = AdapterSha256,
        ["rejected"] = Rejected,
    };

    /// <summary>Reads the JSON form back.</summary>
    public static AdapterVersionRecord FromJson(JsonObject o, string path) => new(
        Manifest.Get<int>(o, "version", path),
        Manifest.Get<string>(o, "path", path),
        Manifest.ParseTime(Manifest.Get<string>(o, "created_at", path), path),
        o["run_id"]?.GetValue<int>(),
        o["adapter_sha256"]?.GetValue<string>(),
        o["rejected"]?.GetValue<bool>() ?? false);

    /// <summary>The folder name for <paramref name="version"/>: <c>v0001</c>.</summary>
    public static string FolderName(int version) => $"v{version:D4}";
}
