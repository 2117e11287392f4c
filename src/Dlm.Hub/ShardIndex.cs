using System.Text.Json;
using Dlm.Core;

namespace Dlm.Hub;

/// <summary>Reads <c>model.safetensors.index.json</c>: the shard files its <c>weight_map</c> names.</summary>
public static class ShardIndex
{
    /// <summary>The distinct shard file names, in first-seen order.</summary>
    public static IReadOnlyList<string> Shards(string indexPath)
    {
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllBytes(indexPath));
            if (!doc.RootElement.TryGetProperty("weight_map", out var map) || map.ValueKind != JsonValueKind.Object)
                throw new DlmException($"{indexPath}: no \"weight_map\" object");
            var seen = new List<string>();
            foreach (var p in map.EnumerateObject())
            {
                var f = p.Value.GetString() ?? throw new DlmException($"{indexPath}: weight_map[\"{p.Name}\"] is not a file name");
                if (!seen.Contains(f)) seen.Add(f);
            }
            return seen;
        }
        catch (JsonException e)
        {
            throw new DlmException($"{indexPath}: not valid JSON: {e.Message}", e);
        }
    }
}
