using System.Text.Json;
using Dlm.Core;

namespace Dlm.Data.Caches;

/// <summary>
/// A cache's <c>meta.json</c>: written with Python's conventions (<see cref="PythonJson"/>, no
/// trailing newline), atomically, and always last, so a cache is complete exactly when its
/// meta.json exists.
/// </summary>
public static class CacheMeta
{
    /// <summary>The file name.</summary>
    public const string FileName = "meta.json";

    /// <summary>Writes <paramref name="meta"/> to <c>dir/meta.json</c> atomically.</summary>
    public static void Write(string dir, IReadOnlyDictionary<string, object?> meta) =>
        AtomicFile.WriteAllText(Path.Combine(dir, FileName), PythonJson.Serialize(meta));

    /// <summary>
    /// Writes <paramref name="meta"/> beside <c>dir/meta.json</c> and flushes it to disk, to be moved into
    /// place by <see cref="PendingFile.Commit"/> once the shards are on disk as well.
    /// </summary>
    public static PendingFile Prepare(string dir, IReadOnlyDictionary<string, object?> meta) =>
        AtomicFile.WritePending(Path.Combine(dir, FileName), System.Text.Encoding.UTF8.GetBytes(PythonJson.Serialize(meta)));

    /// <summary>Reads <c>dir/meta.json</c>, or null when it is absent.</summary>
    /// <exception cref="DlmException">It exists but is not a JSON object.</exception>
    public static JsonElement? Read(string dir)
    {
        var path = Path.Combine(dir, FileName);
        if (!File.Exists(path)) return null;
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
            if (doc.RootElement.ValueKind != JsonValueKind.Object) throw new DlmException($"{path}: not a JSON object");
            return doc.RootElement.Clone();
        }
        catch (JsonException e)
        {
            throw new DlmException($"{path}: not valid JSON: {e.Message}");
        }
    }

    /// <summary>
    /// Whether the cache in <paramref name="dir"/> is complete (meta.json, train/ and val/) and was
    /// built with this tokenizer hash and these source options.
    /// </summary>
    public static bool IsCurrent(string dir, string tokenizerSha256, IReadOnlyDictionary<string, object?> sourceOptions, out string why)
    {
        JsonElement? meta;
        try { meta = Read(dir); }
        catch (DlmException e) { why = e.Message; return false; }
        if (meta is not { } m) { why = "not built"; return false; }
        if (!Directory.Exists(Path.Combine(dir, "train")) || !Directory.Exists(Path.Combine(dir, "val"))) { why = "train/ or val/ missing"; return false; }
        if (!m.TryGetProperty("tokenizer_sha256", out var sha) || sha.ValueKind != JsonValueKind.String || sha.GetString() != tokenizerSha256)
        { why = "built with another tokenizer"; return false; }
        var want = PythonJson.Serialize(sourceOptions);
        if (!m.TryGetProperty("source_options", out var opts) || Canonical(opts) != Canonical(JsonDocument.Parse(want).RootElement))
        { why = "built with other source options"; return false; }
        why = "";
        return true;
    }

    private static string Canonical(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.Object => "{" + string.Join(",", e.EnumerateObject().OrderBy(p => p.Name, StringComparer.Ordinal).Select(p => JsonSerializer.Serialize(p.Name) + ":" + Canonical(p.Value))) + "}",
        JsonValueKind.Array => "[" + string.Join(",", e.EnumerateArray().Select(Canonical)) + "]",
        _ => e.GetRawText(),
    };
}
