using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Dlm.Core;

namespace Dlm.Documents.Store;

/// <summary>
/// How the store writes JSON: keys sorted (ordinal, at every depth), 2-space indent, one final
/// newline, atomically; and how it reads it back with one-line errors.
/// </summary>
public static class StoreJson
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true, IndentSize = 2 };

    /// <summary>The canonical text of <paramref name="node"/>: sorted keys, 2-space indent, trailing newline.</summary>
    public static string Format(JsonNode? node) => (Sorted(node)?.ToJsonString(Indented) ?? "null") + "\n";

    /// <summary>Writes <paramref name="node"/> to <paramref name="path"/> atomically in the canonical form.</summary>
    public static void WriteAtomic(string path, JsonNode node) => AtomicFile.WriteAllText(path, Format(node));

    /// <summary>Reads a JSON object; a missing or malformed file is a <see cref="DlmException"/> naming it.</summary>
    public static JsonObject ReadObject(string path)
    {
        try
        {
            return JsonNode.Parse(File.ReadAllText(path, new UTF8Encoding(false, true))) as JsonObject
                ?? throw new DlmException($"{path}: not a JSON object");
        }
        catch (JsonException e)
        {
            throw new DlmException($"{path}: malformed JSON: {e.Message.ReplaceLineEndings(" ")}");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or DecoderFallbackException)
        {
            throw new DlmException($"{path}: cannot read: {e.Message}");
        }
    }

    /// <summary>One compact JSON line (for JSONL logs), keys sorted.</summary>
    public static string Line(JsonNode node) => Sorted(node)!.ToJsonString();

    private static JsonNode? Sorted(JsonNode? node) => node switch
    {
        JsonObject o => new JsonObject(o.OrderBy(p => p.Key, StringComparer.Ordinal)
            .Select(p => KeyValuePair.Create(p.Key, Sorted(p.Value)))),
        JsonArray a => new JsonArray([.. a.Select(Sorted)]),
        null => null,
        _ => node.DeepClone(),
    };
}
