using System.Globalization;

namespace Dlm.Core.Config;

/// <summary>
/// Casts override text to typed values with chz's rules (shared/REFERENCE.md R3): booleans only
/// <c>t|true|True|1</c> / <c>f|false|False|0</c>, <c>None</c> exactly for null, ints refuse
/// <c>1.5</c>, floats accept <c>1e-3</c>, enums by member name then by value, lists split at commas.
/// Every failure names the parameter and what it accepts.
/// </summary>
public static class ValueCast
{
    /// <summary>The literal that means "no value" for a nullable field.</summary>
    public const string NoneLiteral = "None";

    /// <summary>Casts a boolean.</summary>
    /// <exception cref="DlmException">The text is not one of the accepted spellings.</exception>
    public static bool ToBool(string key, string text) => text switch
    {
        "t" or "true" or "True" or "1" => true,
        "f" or "false" or "False" or "0" => false,
        _ => throw Fail(key, text, "a boolean (t, true, True, 1, f, false, False, 0)"),
    };

    /// <summary>Casts a 64-bit integer; <c>1.5</c> and <c>1e3</c> are refused.</summary>
    /// <exception cref="DlmException">The text is not an integer.</exception>
    public static long ToInt(string key, string text) =>
        long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var v)
            ? v : throw Fail(key, text, "an integer");

    /// <summary>Casts a double; accepts exponents, <c>inf</c> and <c>nan</c>.</summary>
    /// <exception cref="DlmException">The text is not a number.</exception>
    public static double ToFloat(string key, string text)
    {
        var t = text.Trim();
        switch (t.ToLowerInvariant())
        {
            case "inf" or "+inf" or "infinity": return double.PositiveInfinity;
            case "-inf" or "-infinity": return double.NegativeInfinity;
            case "nan": return double.NaN;
        }
        return double.TryParse(t, NumberStyles.Float, CultureInfo.InvariantCulture, out var v)
            ? v : throw Fail(key, text, "a number");
    }

    /// <summary>
    /// Casts an enum member: first by C# member name, then by the wire value <paramref name="valueOf"/>
    /// gives (e.g. <c>all_assistant_messages</c>), case-sensitive as chz is.
    /// </summary>
    /// <exception cref="DlmException">No member has that name or value.</exception>
    public static T ToEnum<T>(string key, string text, Func<T, string>? valueOf = null) where T : struct, Enum
    {
        foreach (var m in Enum.GetValues<T>())
            if (m.ToString() == text) return m;
        if (valueOf is not null)
            foreach (var m in Enum.GetValues<T>())
                if (valueOf(m) == text) return m;
        var allowed = Enum.GetValues<T>().Select(m => valueOf is null ? m.ToString() : valueOf(m));
        throw Fail(key, text, "one of " + string.Join(", ", allowed));
    }

    /// <summary>Splits a list value at commas; an empty text is an empty list.</summary>
    public static IReadOnlyList<string> ToList(string text) =>
        text.Length == 0 ? [] : text.Split(',').Select(s => s.Trim()).ToList();

    /// <summary>True when <paramref name="text"/> is the null literal <c>None</c>.</summary>
    public static bool IsNone(string text) => text == NoneLiteral;

    private static DlmException Fail(string key, string text, string wanted) =>
        new($"{key}: cannot use '{text}' here; expected {wanted}");
}
