using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Dlm.Training.Supervised;

/// <summary>
/// <c>metrics.jsonl</c>: one JSON object per step, keys in the order given, appended (a resumed run
/// appends too). Integers print as integers, NaN as Python's json does (<c>NaN</c>).
/// </summary>
public static class MetricsLog
{
    /// <summary>The file name.</summary>
    public const string FileName = "metrics.jsonl";

    /// <summary>Appends one row.</summary>
    public static void Append(string logPath, IReadOnlyList<KeyValuePair<string, double>> metrics)
    {
        ArgumentNullException.ThrowIfNull(metrics);
        var sb = new StringBuilder("{");
        for (int i = 0; i < metrics.Count; i++)
        {
            if (i > 0) sb.Append(", ");
            sb.Append(JsonSerializer.Serialize(metrics[i].Key)).Append(": ").Append(Number(metrics[i].Key, metrics[i].Value));
        }
        sb.Append("}\n");
        using var f = new FileStream(Path.Combine(logPath, FileName), FileMode.Append, FileAccess.Write, FileShare.Read);
        f.Write(Encoding.UTF8.GetBytes(sb.ToString()));
        f.Flush(flushToDisk: true);
    }

    private static readonly HashSet<string> IntegerKeys = ["step", "epoch", "num_sequences", "num_tokens", "num_loss_tokens"];

    private static string Number(string key, double v) =>
        double.IsNaN(v) ? "NaN"
        : double.IsPositiveInfinity(v) ? "Infinity"
        : double.IsNegativeInfinity(v) ? "-Infinity"
        : IntegerKeys.Contains(key) && v == Math.Floor(v) ? ((long)v).ToString(CultureInfo.InvariantCulture)
        : v.ToString("R", CultureInfo.InvariantCulture);

    /// <summary>Reads every row back as key → value (for the loss plot).</summary>
    public static IReadOnlyList<Dictionary<string, double>> Read(string logPath)
    {
        var path = Path.Combine(logPath, FileName);
        if (!File.Exists(path)) return [];
        var rows = new List<Dictionary<string, double>>();
        foreach (var line in File.ReadLines(path))
        {
            if (string.IsNullOrWhiteSpace(line)) continue;
            try
            {
                using var doc = JsonDocument.Parse(line.Replace(": NaN", ": null", StringComparison.Ordinal));
                var row = new Dictionary<string, double>(StringComparer.Ordinal);
                foreach (var p in doc.RootElement.EnumerateObject())
                    row[p.Name] = p.Value.ValueKind == JsonValueKind.Number ? p.Value.GetDouble() : double.NaN;
                rows.Add(row);
            }
            catch (JsonException)
            {
                // A row torn by a kill; the resumed run writes that step again.
            }
        }
        return rows;
    }
}
