using System.Text.Json;
using Dlm.Core;

namespace Dlm.Tokenizers.Pipeline;

/// <summary>Small helpers to read tokenizer.json fields with errors that name the field.</summary>
internal static class JsonRead
{
    public static string Type(JsonElement e, string what)
    {
        if (e.ValueKind != JsonValueKind.Object || !e.TryGetProperty("type", out var t) || t.ValueKind != JsonValueKind.String)
            throw new DlmException($"tokenizer.json: {what} has no \"type\"");
        return t.GetString()!;
    }

    public static bool Has(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind != JsonValueKind.Null;

    public static string? String(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    public static string RequiredString(JsonElement e, string name, string what) =>
        String(e, name) ?? throw new DlmException($"tokenizer.json: {what} needs a string \"{name}\"");

    public static bool Bool(JsonElement e, string name, bool fallback) =>
        e.TryGetProperty(name, out var v) && (v.ValueKind == JsonValueKind.True || v.ValueKind == JsonValueKind.False)
            ? v.GetBoolean() : fallback;

    public static int Int(JsonElement e, string name, int fallback) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetInt32() : fallback;

    public static JsonElement Array(JsonElement e, string name, string what)
    {
        if (!e.TryGetProperty(name, out var v) || v.ValueKind != JsonValueKind.Array)
            throw new DlmException($"tokenizer.json: {what} needs an array \"{name}\"");
        return v;
    }

    /// <summary>A pattern written as {"String": "..."} or {"Regex": "..."}; a bare string is a literal.</summary>
    public static (string Text, bool IsRegex) Pattern(JsonElement e, string what)
    {
        if (!e.TryGetProperty("pattern", out var p))
            throw new DlmException($"tokenizer.json: {what} needs a \"pattern\"");
        if (p.ValueKind == JsonValueKind.String) return (p.GetString()!, false);
        if (p.ValueKind == JsonValueKind.Object)
        {
            if (p.TryGetProperty("Regex", out var r) && r.ValueKind == JsonValueKind.String) return (r.GetString()!, true);
            if (p.TryGetProperty("String", out var s) && s.ValueKind == JsonValueKind.String) return (s.GetString()!, false);
        }
        throw new DlmException($"tokenizer.json: {what} has a pattern that is neither {{\"String\"}} nor {{\"Regex\"}}");
    }

    public static void WritePattern(Utf8JsonWriter w, string text, bool isRegex)
    {
        w.WriteStartObject("pattern");
        w.WriteString(isRegex ? "Regex" : "String", text);
        w.WriteEndObject();
    }
}
