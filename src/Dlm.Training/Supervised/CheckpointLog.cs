using System.Text.Json;
using System.Text.Json.Serialization;
using Dlm.Core;

namespace Dlm.Training.Supervised;

/// <summary>One row of <c>checkpoints.jsonl</c>; <see cref="Batch"/> is the NEXT batch to run in <see cref="Epoch"/>.</summary>
/// <param name="Name"><c>000020</c> or <c>final</c>.</param>
/// <param name="Epoch">Epoch to resume in.</param>
/// <param name="Batch">Batch to resume at.</param>
/// <param name="StatePath">Training state (weights, optimizer, step, RNG).</param>
/// <param name="SamplerPath">Weights a sampling client loads.</param>
public sealed record CheckpointRow(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("epoch")] int Epoch,
    [property: JsonPropertyName("batch")] int Batch,
    [property: JsonPropertyName("state_path")] string? StatePath,
    [property: JsonPropertyName("sampler_path")] string? SamplerPath);

/// <summary><c>checkpoints.jsonl</c> in a log directory: appended one row per checkpoint, read on resume.</summary>
public static class CheckpointLog
{
    /// <summary>The file name.</summary>
    public const string FileName = "checkpoints.jsonl";

    /// <summary>Appends a row (one line, flushed to disk).</summary>
    public static void Append(string logPath, CheckpointRow row)
    {
        var line = JsonSerializer.Serialize(row) + "\n";
        using var f = new FileStream(Path.Combine(logPath, FileName), FileMode.Append, FileAccess.Write, FileShare.Read);
        var bytes = System.Text.Encoding.UTF8.GetBytes(line);
        f.Write(bytes);
        f.Flush(flushToDisk: true);
    }

    /// <summary>Every row; a torn last line (a killed write) is ignored, a bad line elsewhere is an error naming it.</summary>
    public static IReadOnlyList<CheckpointRow> Read(string logPath)
    {
        var path = Path.Combine(logPath, FileName);
        if (!File.Exists(path)) return [];
        var lines = File.ReadAllLines(path);
        var rows = new List<CheckpointRow>();
        for (int i = 0; i < lines.Length; i++)
        {
            if (string.IsNullOrWhiteSpace(lines[i])) continue;
            try
            {
                rows.Add(JsonSerializer.Deserialize<CheckpointRow>(lines[i]) ?? throw new JsonException("null row"));
            }
            catch (JsonException e)
            {
                if (i == lines.Length - 1) break;
                throw new DlmException(new SourceLocation(path, i + 1), $"malformed checkpoint row: {e.Message}");
            }
        }
        return rows;
    }

    /// <summary>The last row with a state path, whose files are all there, or null.</summary>
    public static CheckpointRow? LastResumable(string logPath) =>
        Read(logPath).LastOrDefault(r => r.StatePath is not null && File.Exists(r.StatePath));
}
