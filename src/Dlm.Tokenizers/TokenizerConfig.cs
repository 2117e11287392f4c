using System.Text.Json;
using Dlm.Core;

namespace Dlm.Tokenizers;

/// <summary>
/// What dlm reads from <c>tokenizer_config.json</c>: the bos/eos/pad/unk tokens (a string or an
/// <c>{"content": ...}</c> object) and the chat template (a string, or a list of named templates
/// of which "default" or else the first is used), and <c>add_bos_token</c>/<c>add_eos_token</c>, which
/// only a SentencePiece model follows (a tokenizer.json's post-processor decides for itself).
/// </summary>
internal sealed record TokenizerConfig(string? BosToken, string? EosToken, string? PadToken, string? UnkToken, string? ChatTemplate, string Json)
{
    /// <summary><c>add_bos_token</c>, when the file sets it.</summary>
    public bool? AddBosToken { get; init; }

    /// <summary><c>add_eos_token</c>, when the file sets it.</summary>
    public bool? AddEosToken { get; init; }

    public static TokenizerConfig Parse(string json, string source)
    {
        try
        {
            using var doc = JsonDocument.Parse(json, new JsonDocumentOptions { AllowTrailingCommas = true });
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object) throw new DlmException($"{source}: expected a JSON object");
            return new TokenizerConfig(Token(root, "bos_token"), Token(root, "eos_token"), Token(root, "pad_token"),
                Token(root, "unk_token"), Template(root), json)
            {
                AddBosToken = Flag(root, "add_bos_token"),
                AddEosToken = Flag(root, "add_eos_token"),
            };
        }
        catch (JsonException e)
        {
            throw new DlmException($"{source}: invalid JSON: {e.Message}");
        }
    }

    private static string? Token(JsonElement root, string name)
    {
        if (!root.TryGetProperty(name, out var v)) return null;
        return v.ValueKind switch
        {
            JsonValueKind.String => v.GetString(),
            JsonValueKind.Object when v.TryGetProperty("content", out var c) && c.ValueKind == JsonValueKind.String => c.GetString(),
            _ => null,
        };
    }

    private static bool? Flag(JsonElement root, string name) =>
        root.TryGetProperty(name, out var v) && v.ValueKind is JsonValueKind.True or JsonValueKind.False ? v.GetBoolean() : null;

    private static string? Template(JsonElement root)
    {
        if (!root.TryGetProperty("chat_template", out var t)) return null;
        if (t.ValueKind == JsonValueKind.String) return t.GetString();
        if (t.ValueKind != JsonValueKind.Array) return null;
        string? first = null;
        foreach (var item in t.EnumerateArray())
        {
            var name = item.TryGetProperty("name", out var n) ? n.GetString() : null;
            var text = item.TryGetProperty("template", out var x) ? x.GetString() : null;
            first ??= text;
            if (name == "default") return text;
        }
        return first;
    }
}
