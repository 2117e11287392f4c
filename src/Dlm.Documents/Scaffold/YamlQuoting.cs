using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Dlm.Documents.Scaffold;

/// <summary>
/// Writes strings as YAML scalars that read back exactly. Upstream writes the scaffold's path
/// between quotes without escaping, which breaks on a <c>"</c> or <c>\</c> in a folder name.
/// </summary>
public static partial class YamlQuoting
{
    /// <summary>
    /// A YAML double-quoted scalar: <c>"</c> as <c>\"</c>, <c>\</c> as <c>\\</c>, control and
    /// non-printable characters (C0, DEL, C1, U+2028/U+2029, U+FEFF) escaped; all else as is.
    /// The result is also valid JSON.
    /// </summary>
    public static string DoubleQuoted(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        var sb = new StringBuilder(value.Length + 2).Append('"');
        foreach (var c in value)
        {
            switch (c)
            {
                case '"': sb.Append("\\\""); break;
                case '\\': sb.Append("\\\\"); break;
                case '\n': sb.Append("\\n"); break;
                case '\t': sb.Append("\\t"); break;
                case '\r': sb.Append("\\r"); break;
                default:
                    if (c < 0x20 || (c >= 0x7F && c <= 0x9F) || c is '\u2028' or '\u2029' or '\uFEFF')
                        sb.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    else sb.Append(c);
                    break;
            }
        }
        return sb.Append('"').ToString();
    }

    /// <summary>
    /// <paramref name="value"/> itself when YAML reads it back as that same plain string (a
    /// registry key, <c>hf:org/name</c>, a simple path), else <see cref="DoubleQuoted"/>.
    /// </summary>
    public static string PlainOrQuoted(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        return SafePlain().IsMatch(value) && !ReadsAsOther().IsMatch(value) ? value : DoubleQuoted(value);
    }

    // Starts with a letter, digit, '.', '/', '_' or '~' and holds no YAML indicator that matters in a plain scalar.
    [GeneratedRegex(@"^[A-Za-z0-9._/~][A-Za-z0-9._/~+@:-]*$")]
    private static partial Regex SafePlain();

    // Plain words YAML would read as something other than a string, or a trailing ':' (a mapping key).
    [GeneratedRegex(@"^(?:~|null|Null|NULL|true|True|TRUE|false|False|FALSE|yes|Yes|no|No|on|On|off|Off|[-+]?[0-9][0-9_.:]*(?:[eE][-+]?[0-9]+)?|\.(?:inf|Inf|INF|nan|NaN|NAN))$|:$")]
    private static partial Regex ReadsAsOther();
}
