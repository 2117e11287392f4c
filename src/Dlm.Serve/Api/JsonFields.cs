using System.Text.Json;

namespace Dlm.Serve.Api;

/// <summary>
/// Typed reads of one JSON object of a request, each naming the field when its value has the
/// wrong type or range (<c>temperature: expected a number, got a string</c>), and a check that
/// no field outside the known ones was sent (a field we do not implement is refused, not ignored).
/// </summary>
internal readonly struct JsonFields
{
    private readonly JsonElement _o;
    private readonly string _prefix;

    public JsonFields(JsonElement element, string path)
    {
        if (element.ValueKind != JsonValueKind.Object)
            throw ApiException.Field(path.Length == 0 ? "body" : path, $"expected a JSON object, got {Kind(element)}");
        _o = element;
        _prefix = path.Length == 0 ? "" : path + ".";
    }

    public string Name(string field) => _prefix + field;

    /// <summary>Refuses any field not in <paramref name="known"/>.</summary>
    public void OnlyKnown(params string[] known)
    {
        foreach (var p in _o.EnumerateObject())
            if (Array.IndexOf(known, p.Name) < 0)
                throw ApiException.Field(Name(p.Name), "this field is not supported by dlm serve");
    }

    /// <summary>The value of <paramref name="field"/>, or null when absent or JSON null.</summary>
    public JsonElement? Get(string field) =>
        _o.TryGetProperty(field, out var v) && v.ValueKind != JsonValueKind.Null ? v : null;

    public string? String(string field)
    {
        if (Get(field) is not { } v) return null;
        return v.ValueKind == JsonValueKind.String ? v.GetString() : throw Wrong(field, "a string", v);
    }

    public bool? Bool(string field)
    {
        if (Get(field) is not { } v) return null;
        return v.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => throw Wrong(field, "true or false", v),
        };
    }

    public double? Number(string field, double min, double max)
    {
        if (Get(field) is not { } v) return null;
        if (v.ValueKind != JsonValueKind.Number) throw Wrong(field, "a number", v);
        double d = v.GetDouble();
        if (!(d >= min && d <= max)) throw ApiException.Field(Name(field), $"must lie in [{min}, {max}], not {d}");
        return d;
    }

    public long? Integer(string field, long min, long max)
    {
        if (Get(field) is not { } v) return null;
        if (v.ValueKind != JsonValueKind.Number || !v.TryGetInt64(out long i)) throw Wrong(field, "an integer", v);
        if (i < min || i > max) throw ApiException.Field(Name(field), $"must lie in [{min}, {max}], not {i}");
        return i;
    }

    /// <summary>OpenAI's <c>stop</c>: a string or an array of up to 4 non-empty strings.</summary>
    public IReadOnlyList<string> Stops(string field)
    {
        if (Get(field) is not { } v) return [];
        if (v.ValueKind == JsonValueKind.String) return NonEmpty(field, [v.GetString()!]);
        if (v.ValueKind != JsonValueKind.Array) throw Wrong(field, "a string or an array of strings", v);
        var list = new List<string>();
        int i = 0;
        foreach (var e in v.EnumerateArray())
        {
            if (e.ValueKind != JsonValueKind.String) throw ApiException.Field($"{Name(field)}[{i}]", $"expected a string, got {Kind(e)}");
            list.Add(e.GetString()!);
            i++;
        }
        if (list.Count > 4) throw ApiException.Field(Name(field), $"at most 4 stop sequences, not {list.Count}");
        return NonEmpty(field, list);
    }

    private List<string> NonEmpty(string field, List<string> stops) =>
        stops.Any(s => s.Length == 0) ? throw ApiException.Field(Name(field), "a stop sequence must not be empty") : stops;

    /// <summary>Refuses a field that dlm serve only supports at its default (<paramref name="neutral"/>).</summary>
    public void OnlyDefault(string field, double neutral)
    {
        if (Number(field, double.MinValue, double.MaxValue) is { } d && d != neutral)
            throw ApiException.Field(Name(field), $"only {neutral} is supported by dlm serve");
    }

    private ApiException Wrong(string field, string expected, JsonElement got) =>
        ApiException.Field(Name(field), $"expected {expected}, got {Kind(got)}");

    public static string Kind(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        JsonValueKind.Array => "an array",
        JsonValueKind.Object => "an object",
        _ => "null",
    };
}
