using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Dlm.Core;

namespace Dlm.Documents.Store;

/// <summary>
/// <c>store/&lt;dlm_id&gt;/manifest.json</c> with every key of R2 "Store". Written by
/// <see cref="DocumentStore"/> only, sorted keys, 2-space indent, trailing newline, atomically.
/// </summary>
public sealed record Manifest
{
    /// <summary>The manifest schema this dlm writes.</summary>
    public const int CurrentSchemaVersion = 1;

    /// <summary>The document's id.</summary>
    public required string DlmId { get; init; }

    /// <summary>Always <see cref="CurrentSchemaVersion"/>.</summary>
    public int SchemaVersion { get; init; } = CurrentSchemaVersion;

    /// <summary>The current adapter version (0 = none).</summary>
    public int AdapterVersion { get; init; }

    /// <summary>Every committed version, rejected ones included, in order.</summary>
    public IReadOnlyList<AdapterVersionRecord> AdapterVersions { get; init; } = [];

    /// <summary>SHA-256 of the current adapter's <c>adapter_model.safetensors</c>.</summary>
    public string? AdapterSha256 { get; init; }

    /// <summary>SHA-256 of the current adapter's <c>adapter_config.json</c>.</summary>
    public string? AdapterConfigSha256 { get; init; }

    /// <summary>The document's <c>base_model</c>.</summary>
    public string? BaseModel { get; init; }

    /// <summary>The base model's revision (a registry commit, or null when unknown).</summary>
    public string? BaseModelRevision { get; init; }

    /// <summary>SHA-256 of the base weights, when known.</summary>
    public string? BaseModelSha256 { get; init; }

    /// <summary>Section ids trained on, as upstream writes them: <c>{id: id}</c>.</summary>
    public IReadOnlyDictionary<string, string> ContentHashes { get; init; } = new Dictionary<string, string>();

    /// <summary>When the store was created (UTC).</summary>
    public required DateTimeOffset CreatedAt { get; init; }

    /// <summary>When the manifest was last written (UTC).</summary>
    public required DateTimeOffset UpdatedAt { get; init; }

    /// <summary>Exports written (kept as JSON: the export issue fills them).</summary>
    public JsonArray Exports { get; init; } = [];

    /// <summary>A gated base's licence acceptance record, or null.</summary>
    public JsonNode? LicenseAcceptance { get; init; }

    /// <summary>The document's path when the store was last used.</summary>
    public string? SourcePath { get; init; }

    /// <summary>Training runs, in start order.</summary>
    public IReadOnlyList<TrainingRunRecord> TrainingRuns { get; init; } = [];

    /// <summary>The JSON form; <see cref="StoreJson.Format"/> sorts the keys.</summary>
    public JsonObject ToJson()
    {
        var hashes = new JsonObject();
        foreach (var (k, v) in ContentHashes.OrderBy(p => p.Key, StringComparer.Ordinal)) hashes[k] = v;
        return new JsonObject
        {
            ["adapter_config_sha256"] = AdapterConfigSha256,
            ["adapter_sha256"] = AdapterSha256,
            ["adapter_version"] = AdapterVersion,
            ["adapter_versions"] = new JsonArray([.. AdapterVersions.Select(v => (JsonNode)v.ToJson())]),
            ["base_model"] = BaseModel,
            ["base_model_revision"] = BaseModelRevision,
            ["base_model_sha256"] = BaseModelSha256,
            ["content_hashes"] = hashes,
            ["created_at"] = Time(CreatedAt),
            ["dlm_id"] = DlmId,
            ["exports"] = Exports.DeepClone(),
            ["license_acceptance"] = LicenseAcceptance?.DeepClone(),
            ["schema_version"] = SchemaVersion,
            ["source_path"] = SourcePath,
            ["training_runs"] = new JsonArray([.. TrainingRuns.Select(r => (JsonNode)r.ToJson())]),
            ["updated_at"] = Time(UpdatedAt),
        };
    }

    /// <summary>Reads a manifest; a malformed one is a <see cref="DlmException"/> naming the file and key.</summary>
    public static Manifest Load(string path)
    {
        var o = StoreJson.ReadObject(path);
        try
        {
            int schema = Get<int>(o, "schema_version", path);
            if (schema > CurrentSchemaVersion)
                throw new DlmException($"{path}: schema_version {schema} is newer than this dlm reads ({CurrentSchemaVersion})");
            return new Manifest
            {
                DlmId = Get<string>(o, "dlm_id", path),
                SchemaVersion = schema,
                AdapterVersion = Get<int>(o, "adapter_version", path),
                AdapterVersions = [.. (o["adapter_versions"] as JsonArray ?? []).Select(n => AdapterVersionRecord.FromJson(n!.AsObject(), path))],
                AdapterSha256 = o["adapter_sha256"]?.GetValue<string>(),
                AdapterConfigSha256 = o["adapter_config_sha256"]?.GetValue<string>(),
                BaseModel = o["base_model"]?.GetValue<string>(),
                BaseModelRevision = o["base_model_revision"]?.GetValue<string>(),
                BaseModelSha256 = o["base_model_sha256"]?.GetValue<string>(),
                ContentHashes = (o["content_hashes"] as JsonObject ?? []).ToDictionary(p => p.Key, p => p.Value!.GetValue<string>()),
                CreatedAt = ParseTime(Get<string>(o, "created_at", path), path),
                UpdatedAt = ParseTime(Get<string>(o, "updated_at", path), path),
                Exports = (o["exports"] as JsonArray)?.DeepClone().AsArray() ?? [],
                LicenseAcceptance = o["license_acceptance"]?.DeepClone(),
                SourcePath = o["source_path"]?.GetValue<string>(),
                TrainingRuns = [.. (o["training_runs"] as JsonArray ?? []).Select(n => TrainingRunRecord.FromJson(n!.AsObject(), path))],
            };
        }
        catch (Exception e) when (e is InvalidOperationException or FormatException or JsonException)
        {
            throw new DlmException($"{path}: malformed manifest: {e.Message}");
        }
    }

    internal static T Get<T>(JsonObject o, string key, string path) =>
        o[key] is JsonValue v ? v.GetValue<T>() : throw new DlmException($"{path}: manifest key '{key}' is missing");

    internal static string Time(DateTimeOffset t) =>
        t.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture);

    internal static DateTimeOffset ParseTime(string s, string path) =>
        DateTimeOffset.TryParse(s, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var t)
            ? t
            : throw new DlmException($"{path}: bad timestamp '{s}'");
}
