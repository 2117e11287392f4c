using System.Globalization;
using System.Text;

namespace Dlm.Data.Caches;

/// <summary>
/// Writes JSON exactly as Python's <c>json.dump(obj, indent=2, sort_keys=True, ensure_ascii=False)</c>
/// does, so that a <c>meta.json</c> we write is byte for byte what niels-gpt writes: keys sorted by
/// code point, <c>", "</c>/<c>": "</c> separators with newlines, floats in Python <c>repr</c> form
/// (<c>0.1</c>, <c>1e-05</c>, <c>1.0</c>), only quotes, backslashes and control characters escaped,
/// no trailing newline. Values are <see cref="string"/>, <see cref="long"/>/<see cref="int"/>,
/// <see cref="double"/>, <see cref="bool"/>, null, and <see cref="IReadOnlyDictionary{TKey, TValue}"/>
/// of string to such values (or lists of them).
/// </summary>
public static class PythonJson
{
    /// <summary>The JSON text of <paramref name="value"/>.</summary>
    public static string Serialize(object? value)
    {
        var sb = new StringBuilder();
        Write(sb, value, 0);
        return sb.ToString();
    }

    private static void Write(StringBuilder sb, object? value, int depth)
    {
        switch (value)
        {
            case null: sb.Append("null"); break;
            case bool b: sb.Append(b ? "true" : "false"); break;
            case string s: WriteString(sb, s); break;
            case int i: sb.Append(i.ToString(CultureInfo.InvariantCulture)); break;
            case long l: sb.Append(l.ToString(CultureInfo.InvariantCulture)); break;
            case double d: sb.Append(FloatRepr(d)); break;
            case IReadOnlyDictionary<string, object?> map:
                if (map.Count == 0) { sb.Append("{}"); break; }
                sb.Append('{');
                bool first = true;
                foreach (var key in map.Keys.Order(StringComparer.Ordinal))
                {
                    sb.Append(first ? "\n" : ",\n");
                    first = false;
                    sb.Append(' ', 2 * (depth + 1));
                    WriteString(sb, key);
                    sb.Append(": ");
                    Write(sb, map[key], depth + 1);
                }
                sb.Append('\n').Append(' ', 2 * depth).Append('}');
                break;
            case System.Collections.IEnumerable list:
                var items = list.Cast<object?>().ToList();
                if (items.Count == 0) { sb.Append("[]"); break; }
                sb.Append('[');
                for (int k = 0; k < items.Count; k++)
                {
                    sb.Append(k == 0 ? "\n" : ",\n");
                    sb.Append(' ', 2 * (depth + 1));
                    Write(sb, items[k], depth + 1);
                }
                sb.Append('\n').Append(' ', 2 * depth).Append(']');
                break;
            default: throw new ArgumentException($"PythonJson cannot write a {value.GetType().Name}", nameof(value));
        }
    }

    private static void WriteString(StringBuilder sb, string s)
    {
        sb.Append('"');
        foreach (char c in s)
        {
            switch (c)
            {
                case '"': sb.Append("\\\""); break;
                case '\\': sb.Append("\\\\"); break;
                case '\n': sb.Append("\\n"); break;
                case '\r': sb.Append("\\r"); break;
                case '\t': sb.Append("\\t"); break;
                case '\b': sb.Append("\\b"); break;
                case '\f': sb.Append("\\f"); break;
                default:
                    if (c < 0x20) sb.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    else sb.Append(c);
                    break;
            }
        }
        sb.Append('"');
    }

    /// <summary>Python's <c>repr(float)</c>: the shortest round-trip digits, scientific below 1e-4 and from 1e16.</summary>
    public static string FloatRepr(double d)
    {
        if (double.IsNaN(d)) return "NaN";
        if (double.IsPositiveInfinity(d)) return "Infinity";
        if (double.IsNegativeInfinity(d)) return "-Infinity";
        if (d == 0) return double.IsNegative(d) ? "-0.0" : "0.0";
        var shortest = d.ToString("R", CultureInfo.InvariantCulture);
        // Decompose the shortest form into sign, digits and decimal exponent.
        bool neg = shortest.StartsWith('-');
        var body = neg ? shortest[1..] : shortest;
        int exp10 = 0;
        int e = body.IndexOfAny(['E', 'e']);
        if (e >= 0) { exp10 = int.Parse(body[(e + 1)..], CultureInfo.InvariantCulture); body = body[..e]; }
        int dot = body.IndexOf('.', StringComparison.Ordinal);
        string digits = dot < 0 ? body : body[..dot] + body[(dot + 1)..];
        int pointPos = (dot < 0 ? body.Length : dot) + exp10; // digits[0..pointPos] is the integer part
        int lead = 0;
        while (lead < digits.Length - 1 && digits[lead] == '0') { lead++; pointPos--; }
        digits = digits[lead..].TrimEnd('0');
        if (digits.Length == 0) digits = "0";
        int sciExp = pointPos - 1;
        var sb = new StringBuilder();
        if (neg) sb.Append('-');
        if (sciExp < -4 || sciExp >= 16)
        {
            sb.Append(digits[0]);
            if (digits.Length > 1) sb.Append('.').Append(digits, 1, digits.Length - 1);
            sb.Append('e').Append(sciExp < 0 ? '-' : '+').Append(Math.Abs(sciExp).ToString("00", CultureInfo.InvariantCulture));
        }
        else if (pointPos <= 0)
        {
            sb.Append("0.").Append('0', -pointPos).Append(digits);
        }
        else if (pointPos >= digits.Length)
        {
            sb.Append(digits).Append('0', pointPos - digits.Length).Append(".0");
        }
        else
        {
            sb.Append(digits, 0, pointPos).Append('.').Append(digits, pointPos, digits.Length - pointPos);
        }
        return sb.ToString();
    }
}
