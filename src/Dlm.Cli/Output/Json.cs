using System.Text.Encodings.Web;
using System.Text.Json;

namespace Dlm.Cli.Output;

/// <summary>JSON settings for machine-readable output: snake_case keys, no escaping of plain text.</summary>
internal static class Json
{
    public static readonly JsonSerializerOptions Compact = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public static readonly JsonSerializerOptions Indented = new(Compact) { WriteIndented = true };
}
