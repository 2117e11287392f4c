using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Dlm.Documents.Format;

/// <summary>Scalar spelling for YAML that dlm writes: plain when that reads back as the same string, else double-quoted.</summary>
public static partial class YamlText
{
    private static readonly JsonSerializerOptions Relaxed = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>
    /// A YAML double-quoted scalar that reads back exactly: <c>"</c> → <c>\"</c>, <c>\</c> → <c>\\</c>,
    /// control characters escaped (JSON string syntax, which YAML accepts).
    /// </summary>
    public static string Quoted(string value) => JsonSerializer.Serialize(value, Relaxed);

    /// <summary>The value plain when YAML reads it back as this same string, else <see cref="Quoted"/>.</summary>
    public static string Scalar(string value) =>
        SafePlain().IsMatch(value) && !value.EndsWith(':') && !MapReader.ResolvesToNonString(value) ? value : Quoted(value);

    /// <summary>Shortest round-trip spelling of a number, with a lower-case exponent.</summary>
    public static string Number(double value) => value.ToString("R", CultureInfo.InvariantCulture).Replace("E", "e", StringComparison.Ordinal);

    [GeneratedRegex(@"^[A-Za-z0-9_./~][A-Za-z0-9_./~:+@-]*$", RegexOptions.CultureInvariant)]
    private static partial Regex SafePlain();
}
