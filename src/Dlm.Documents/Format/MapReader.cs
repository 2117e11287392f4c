using System.Globalization;
using System.Text.RegularExpressions;
using Dlm.Core;

namespace Dlm.Documents.Format;

/// <summary>
/// Reads one frontmatter mapping field by field: typed values with upstream's lax coercions
/// (a quoted number is a number, <c>yes</c>/<c>on</c> are booleans), ranges, closed value
/// sets, and every unknown key refused by its dotted path. Records which keys the document
/// sets so <c>dlm show</c> can mark the rest as defaults.
/// </summary>
internal sealed partial class MapReader
{
    private readonly YMap? _map;
    private readonly BindContext _ctx;

    /// <summary>The bind this mapping belongs to.</summary>
    public BindContext Context => _ctx;

    public MapReader(YMap? map, string prefix, BindContext ctx, IReadOnlyList<string> allowed)
    {
        _map = map;
        Prefix = prefix;
        _ctx = ctx;
        if (map is null) return;
        foreach (var e in map.Entries)
        {
            if (allowed.Contains(e.Key)) continue;
            var hint = Suggest(e.Key, allowed);
            throw ctx.Error(e.Line, e.Column,
                $"unknown key '{Dotted(e.Key)}'" + (hint is null ? "" : $" (did you mean '{Dotted(hint)}'?)"));
        }
    }

    /// <summary>The dotted path of this mapping (empty at the root).</summary>
    public string Prefix { get; }

    public string Dotted(string key) => Prefix.Length == 0 ? key : $"{Prefix}.{key}";

    public YEntry? Entry(string key) => _map?.Find(key);

    /// <summary>The entry for <paramref name="key"/> unless absent or written as null.</summary>
    public YEntry? Present(string key)
    {
        var e = Entry(key);
        if (e is null) return null;
        _ctx.Explicit.Add(Dotted(key));
        return e.Value is YScalar { IsNull: true } ? null : e;
    }

    public string Str(string key, string fallback, params string[] choices) => OptStr(key, choices) ?? fallback;

    public string? OptStr(string key, params string[] choices)
    {
        var e = Present(key);
        if (e is null) return null;
        var s = Scalar(e, "a string");
        if (s.Plain && ResolvesToNonString(s.Value))
            throw _ctx.Error(s, $"{Dotted(key)}: expected a string, got {s.Value} (quote it to make it text)");
        if (choices.Length > 0 && !choices.Contains(s.Value, StringComparer.Ordinal))
            throw _ctx.Error(s, $"{Dotted(key)}: '{s.Value}' is not one of {string.Join(", ", choices)}");
        return s.Value;
    }

    public string RequiredStr(string key, YNode owner)
    {
        var e = Entry(key);
        if (e is null) throw _ctx.Error(owner, $"{Dotted(key)} is required");
        var v = OptStr(key);
        if (string.IsNullOrEmpty(v)) throw _ctx.Error(e.Value, $"{Dotted(key)} must not be empty");
        return v;
    }

    public int Int(string key, int fallback, long min = int.MinValue, long max = int.MaxValue) =>
        (int)(OptLong(key, min, max) ?? fallback);

    public long Long(string key, long fallback, long min = long.MinValue, long max = long.MaxValue) =>
        OptLong(key, min, max) ?? fallback;

    public long? OptLong(string key, long min = long.MinValue, long max = long.MaxValue)
    {
        var e = Present(key);
        if (e is null) return null;
        var s = Scalar(e, "an integer");
        if (!TryInteger(s.Value, out var v))
            throw _ctx.Error(s, $"{Dotted(key)}: expected an integer, got '{s.Value}'");
        if (v < min || v > max)
            throw _ctx.Error(s, $"{Dotted(key)}: {v} is out of range {Range(min, max, false, false)}");
        return v;
    }

    /// <summary><c>auto</c> (returned as null) or an integer of at least 1.</summary>
    public int? AutoOrPositive(string key)
    {
        var e = Present(key);
        if (e is null) return null;
        var s = Scalar(e, "'auto' or an integer");
        if (s.Value == "auto") return null;
        if (!TryInteger(s.Value, out var v) || v < 1 || v > int.MaxValue)
            throw _ctx.Error(s, $"{Dotted(key)}: must be a positive integer or 'auto', got '{s.Value}'");
        return (int)v;
    }

    /// <summary>An integer, or a number with no fractional part (<c>3.0</c>), as upstream's lax validation accepts.</summary>
    private static bool TryInteger(string text, out long value)
    {
        if (IntPattern().IsMatch(text))
            return long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out value);
        value = 0;
        if (!FloatPattern().IsMatch(text) || !double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var d)
            || d != Math.Floor(d) || Math.Abs(d) > 9e15) return false;
        value = (long)d;
        return true;
    }

    public double Float(string key, double fallback, double min = double.NegativeInfinity, double max = double.PositiveInfinity,
        bool minExclusive = false) =>
        OptFloat(key, min, max, minExclusive) ?? fallback;

    public double? OptFloat(string key, double min = double.NegativeInfinity, double max = double.PositiveInfinity, bool minExclusive = false)
    {
        var e = Present(key);
        if (e is null) return null;
        var s = Scalar(e, "a number");
        if (!FloatPattern().IsMatch(s.Value) || !double.TryParse(s.Value, NumberStyles.Float, CultureInfo.InvariantCulture, out var v))
            throw _ctx.Error(s, $"{Dotted(key)}: expected a number, got '{s.Value}'");
        if (v < min || v > max || (minExclusive && v <= min))
            throw _ctx.Error(s, $"{Dotted(key)}: {s.Value} is out of range {Range(min, max, minExclusive, false)}");
        return v;
    }

    public bool Bool(string key, bool fallback)
    {
        var e = Present(key);
        if (e is null) return fallback;
        var s = Scalar(e, "true or false");
        return s.Value.ToLowerInvariant() switch
        {
            "true" or "yes" or "on" or "1" => true,
            "false" or "no" or "off" or "0" => false,
            _ => throw _ctx.Error(s, $"{Dotted(key)}: expected true or false, got '{s.Value}'"),
        };
    }

    /// <summary>A list of non-empty strings, or <c>auto</c> (null) when <paramref name="allowAuto"/>.</summary>
    public IReadOnlyList<string>? StrList(string key, bool allowAuto)
    {
        var e = Present(key);
        if (e is null) return null;
        if (allowAuto && e.Value is YScalar { Value: "auto" }) return null;
        if (e.Value is not YSeq seq)
            throw _ctx.Error(e.Value, $"{Dotted(key)}: expected a list of strings{(allowAuto ? " or 'auto'" : "")}");
        var list = new List<string>();
        for (var i = 0; i < seq.Items.Count; i++)
        {
            if (seq.Items[i] is not YScalar s || (s.Plain && ResolvesToNonString(s.Value)))
                throw _ctx.Error(seq.Items[i], $"{Dotted(key)}[{i}]: expected a string");
            list.Add(s.Value);
        }
        return list;
    }

    /// <summary>The child mapping at <paramref name="key"/> (absent: a reader over nothing, so every field takes its default).</summary>
    public MapReader Map(string key, IReadOnlyList<string> allowed)
    {
        var e = Entry(key);
        if (e is null) return new MapReader(null, Dotted(key), _ctx, allowed);
        if (e.Value is not YMap m)
            throw _ctx.Error(e.Value, $"{Dotted(key)}: expected a mapping");
        _ctx.Explicit.Add(Dotted(key));
        return new MapReader(m, Dotted(key), _ctx, allowed);
    }

    public void NotUsed(string key, string what)
    {
        var e = Entry(key);
        if (e is not null) _ctx.Warn(e.Line, e.Column, what);
    }

    private YScalar Scalar(YEntry e, string expected) =>
        e.Value as YScalar ?? throw _ctx.Error(e.Value, $"{Dotted(e.Key)}: expected {expected}");

    private static string Range(double min, double max, bool minExclusive, bool maxExclusive)
    {
        static string F(double d) => d.ToString("R", CultureInfo.InvariantCulture);
        if (double.IsInfinity(max) || max >= long.MaxValue) return minExclusive ? $"(> {F(min)})" : $"(>= {F(min)})";
        return $"{(minExclusive ? "(" : "[")}{F(min)}, {F(max)}{(maxExclusive ? ")" : "]")}";
    }

    /// <summary>Plain scalars that YAML (1.1, as PyYAML reads it upstream) types as null, bool or a number.</summary>
    internal static bool ResolvesToNonString(string plain) =>
        plain is "" or "~" or "null" or "Null" or "NULL"
        || plain.ToLowerInvariant() is "true" or "false" or "yes" or "no" or "on" or "off"
        || IntPattern().IsMatch(plain)
        || (FloatPattern().IsMatch(plain) && plain.Contains('.', StringComparison.Ordinal));

    private static string? Suggest(string key, IReadOnlyList<string> allowed)
    {
        string? best = null;
        var bestDistance = int.MaxValue;
        foreach (var a in allowed)
        {
            var d = Levenshtein(key, a);
            if (d < bestDistance) { best = a; bestDistance = d; }
        }
        return bestDistance <= Math.Max(1, key.Length / 3) ? best : null;
    }

    private static int Levenshtein(string a, string b)
    {
        var prev = new int[b.Length + 1];
        var cur = new int[b.Length + 1];
        for (var j = 0; j <= b.Length; j++) prev[j] = j;
        for (var i = 1; i <= a.Length; i++)
        {
            cur[0] = i;
            for (var j = 1; j <= b.Length; j++)
                cur[j] = Math.Min(Math.Min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
            (prev, cur) = (cur, prev);
        }
        return prev[b.Length];
    }

    [GeneratedRegex(@"^[-+]?[0-9]+$", RegexOptions.CultureInvariant)]
    private static partial Regex IntPattern();

    [GeneratedRegex(@"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$", RegexOptions.CultureInvariant)]
    private static partial Regex FloatPattern();
}

/// <summary>What a frontmatter bind shares across mappings: the file, the keys the document sets, the warnings.</summary>
internal sealed class BindContext(string path)
{
    public string Path { get; } = path;
    public HashSet<string> Explicit { get; } = new(StringComparer.Ordinal);
    public List<DlmWarning> Warnings { get; } = [];

    public DlmException Error(YNode at, string message) => Error(at.Line, at.Column, message);

    public DlmException Error(int line, int column, string message) =>
        new(new SourceLocation(Path, line, Math.Max(1, column)), message);

    /// <summary>Adds a warning once per message.</summary>
    public void Warn(int line, int column, string message)
    {
        if (Warnings.Exists(w => w.Message == message)) return;
        Warnings.Add(new DlmWarning(new SourceLocation(Path, line, Math.Max(1, column)), message));
    }
}
