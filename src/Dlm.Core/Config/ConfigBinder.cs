using System.Globalization;
using System.Reflection;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace Dlm.Core.Config;

/// <summary>
/// Binds chz-style <c>key=value</c> overrides (shared/REFERENCE.md R3, "Config overrides") onto a
/// tree of typed config objects. A config class is a class with public settable properties; each
/// property is a field named in snake_case (or by <see cref="JsonPropertyNameAttribute"/>).
/// Dotted paths reach nested objects; a field whose type is abstract (listing its concrete types in
/// <see cref="ConfigVariantsAttribute"/>) takes a type name first and then its subfields; a
/// property marked <c>required</c> must end up set. Values cast with <see cref="ValueCast"/>'s
/// rules. Unknown keys get a did-you-mean; <c>--help</c> lists every field with its type, value,
/// origin and doc.
/// </summary>
public static class ConfigBinder
{
    /// <summary>The argument that asks for the field list instead of a run.</summary>
    public const string HelpFlag = "--help";

    /// <summary>
    /// Applies <paramref name="args"/> (<c>key=value</c> words, and optionally <c>--help</c>) to
    /// <paramref name="root"/> in place. Overrides apply shallow paths first, so a type choice
    /// precedes its subfields whatever the order on the command line.
    /// </summary>
    /// <exception cref="UsageException">A malformed argument, an unknown key, or (without --help) a missing required field.</exception>
    /// <exception cref="DlmException">A value that does not cast.</exception>
    public static ConfigBinding Bind<T>(T root, IEnumerable<string> args) where T : class
    {
        ArgumentNullException.ThrowIfNull(root);
        ArgumentNullException.ThrowIfNull(args);
        var list = args.ToList();
        bool help = list.Remove(HelpFlag);
        var overrides = KeyValueArgs.Parse(list);
        var fromCli = new HashSet<string>(StringComparer.Ordinal);
        foreach (var o in overrides.OrderBy(o => o.Key.Count(c => c == '.')))
        {
            Apply(root, o);
            fromCli.Add(o.Key);
        }
        var binding = new ConfigBinding(root, fromCli, help);
        if (!help)
        {
            var missing = binding.Fields().Where(f => f.Required && f.Value is null).Select(f => $"{f.Path} ({f.TypeName})").ToList();
            if (missing.Count > 0)
                throw new UsageException($"Missing required arguments: {string.Join(", ", missing)}. Append {HelpFlag} to see every argument.");
        }
        return binding;
    }

    private static void Apply(object root, KeyValueArg o)
    {
        var parts = o.Key.Split('.');
        object target = root;
        string path = "";
        for (int i = 0; i < parts.Length; i++)
        {
            var field = Field.Of(target.GetType(), parts[i]);
            path = path.Length == 0 ? parts[i] : path + "." + parts[i];
            if (field is null) throw Unknown(root, o.Key);
            bool last = i == parts.Length - 1;
            if (last)
            {
                field.Set(target, field.IsObject ? ChooseVariant(field, field.Get(target), path, o.Value) : Cast(field.Type, path, o.Value));
                return;
            }
            if (!field.IsObject)
                throw new UsageException($"{path} is a {TypeName(field.Type)} and has no field {parts[i + 1]}; append {HelpFlag} to see every argument.");
            var next = field.Get(target);
            if (next is null)
            {
                if (field.Type.IsAbstract)
                    throw new UsageException($"{path} has no value yet: choose its type first ({path}={string.Join("|", field.Variants.Select(v => v.Name))})");
                next = Activator.CreateInstance(field.Type)!;
                field.Set(target, next);
            }
            target = next;
        }
    }

    private static object? ChooseVariant(Field field, object? current, string path, string text)
    {
        if (ValueCast.IsNone(text) && field.Nullable) return null;
        var type = field.Variants.FirstOrDefault(v => v.Name == text)
            ?? throw new DlmException($"{path}: cannot use '{text}' here; expected one of {string.Join(", ", field.Variants.Select(v => v.Name))}");
        if (current?.GetType() == type) return current;
        var made = Activator.CreateInstance(type)!;
        // Fields the old and the new type share (a common_config, say) carry over.
        if (current is not null)
            foreach (var f in Field.All(type))
                if (Field.Of(current.GetType(), f.Name) is { } old && old.Type == f.Type) f.Set(made, old.Get(current));
        return made;
    }

    /// <summary>Casts <paramref name="text"/> to <paramref name="type"/> (string, bool, integers, floats, enums, lists, nullables).</summary>
    public static object? Cast(Type type, string key, string text)
    {
        ArgumentNullException.ThrowIfNull(type);
        var inner = System.Nullable.GetUnderlyingType(type);
        if (inner is not null)
        {
            if (ValueCast.IsNone(text)) return null;
            type = inner;
        }
        if (type == typeof(string)) return text;
        if (type == typeof(bool)) return ValueCast.ToBool(key, text);
        if (type == typeof(int))
        {
            long v = ValueCast.ToInt(key, text);
            return v is >= int.MinValue and <= int.MaxValue ? (int)v : throw new DlmException($"{key}: cannot use '{text}' here; expected an integer that fits 32 bits");
        }
        if (type == typeof(long)) return ValueCast.ToInt(key, text);
        if (type == typeof(ulong))
            return ulong.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var u) ? u : throw new DlmException($"{key}: cannot use '{text}' here; expected a non-negative integer");
        if (type == typeof(double)) return ValueCast.ToFloat(key, text);
        if (type == typeof(float)) return (float)ValueCast.ToFloat(key, text);
        if (type.IsEnum) return CastEnum(type, key, text);
        if (ListElement(type) is { } element)
        {
            var items = ValueCast.ToList(text).Select(s => Cast(element, key, s)).ToArray();
            var array = Array.CreateInstance(element, items.Length);
            for (int i = 0; i < items.Length; i++) array.SetValue(items[i], i);
            return array;
        }
        throw new DlmException($"{key}: a field of type {type.Name} cannot be set from the command line");
    }

    private static object CastEnum(Type type, string key, string text)
    {
        foreach (var name in Enum.GetNames(type))
            if (name == text || UpperSnake(name) == text) return Enum.Parse(type, name);
        foreach (var name in Enum.GetNames(type))
            if (EnumValue(type, name) == text) return Enum.Parse(type, name);
        throw new DlmException($"{key}: cannot use '{text}' here; expected one of {string.Join(", ", Enum.GetNames(type).Select(n => EnumValue(type, n)))}");
    }

    /// <summary>The wire value of an enum member: its <see cref="JsonStringEnumMemberNameAttribute"/>, else its name in snake_case.</summary>
    public static string EnumValue(Type type, string memberName)
    {
        ArgumentNullException.ThrowIfNull(type);
        var attr = type.GetField(memberName)?.GetCustomAttribute<JsonStringEnumMemberNameAttribute>();
        return attr?.Name ?? JsonNamingPolicy.SnakeCaseLower.ConvertName(memberName);
    }

    private static string UpperSnake(string name) => JsonNamingPolicy.SnakeCaseUpper.ConvertName(name);

    internal static Type? ListElement(Type type)
    {
        if (type.IsArray) return type.GetElementType();
        if (type.IsGenericType && type.GetGenericTypeDefinition() is var d && (d == typeof(IReadOnlyList<>) || d == typeof(IList<>) || d == typeof(IEnumerable<>)))
            return type.GetGenericArguments()[0];
        return null;
    }

    /// <summary>The type as <c>--help</c> shows it (Python's spelling: str, int, float, bool, list[str], X | None).</summary>
    public static string TypeName(Type type)
    {
        ArgumentNullException.ThrowIfNull(type);
        if (System.Nullable.GetUnderlyingType(type) is { } inner) return TypeName(inner) + " | None";
        if (type == typeof(string)) return "str";
        if (type == typeof(bool)) return "bool";
        if (type == typeof(int) || type == typeof(long) || type == typeof(ulong)) return "int";
        if (type == typeof(float) || type == typeof(double)) return "float";
        if (ListElement(type) is { } e) return $"list[{TypeName(e)}]";
        return type.Name;
    }

    /// <summary>A value as <c>--help</c> and config.json show it: enums by value, None for null, lists joined with commas.</summary>
    public static string Show(object? value) => value switch
    {
        null => ValueCast.NoneLiteral,
        string s => s,
        bool b => b ? "True" : "False",
        double d => PythonFloat(d),
        float f => PythonFloat(f),
        Enum e => EnumValue(e.GetType(), e.ToString()),
        System.Collections.IEnumerable list => string.Join(",", list.Cast<object?>().Select(Show)),
        IFormattable x => x.ToString(null, CultureInfo.InvariantCulture),
        _ when Field.IsConfigObject(value.GetType()) => value.GetType().Name,
        _ => value.ToString() ?? "",
    };

    // As Python's repr prints a float: 0.0002, 1e-08, 32.0.
    private static string PythonFloat(double d)
    {
        if (double.IsNaN(d)) return "nan";
        if (double.IsInfinity(d)) return d > 0 ? "inf" : "-inf";
        var s = d.ToString("R", CultureInfo.InvariantCulture).Replace("E", "e", StringComparison.Ordinal);
        int e = s.IndexOf('e', StringComparison.Ordinal);
        if (e >= 0)
        {
            var exp = s[(e + 1)..];
            var sign = exp.StartsWith('-') ? "-" : "+";
            exp = exp.TrimStart('+', '-');
            return s[..e] + "e" + sign + (exp.Length < 2 ? "0" + exp : exp);
        }
        return s.Contains('.', StringComparison.Ordinal) ? s : s + ".0";
    }

    /// <summary>The tree as JSON: fields by snake_case name, enums by value, nested objects as objects.</summary>
    public static JsonObject ToJson(object config)
    {
        ArgumentNullException.ThrowIfNull(config);
        var o = new JsonObject();
        foreach (var f in Field.All(config.GetType()))
        {
            var v = f.Get(config);
            o[f.Name] = v switch
            {
                null => null,
                string s => s,
                bool b => b,
                int i => i,
                long l => l,
                ulong u => u,
                double d => double.IsFinite(d) ? d : Show(d),
                float x => float.IsFinite(x) ? (double)(decimal)x : Show(x),
                Enum e => EnumValue(e.GetType(), e.ToString()),
                System.Collections.IEnumerable list => new JsonArray(list.Cast<object?>().Select(x => (JsonNode?)JsonValue.Create(Show(x))).ToArray()),
                _ => ToJson(v),
            };
        }
        return o;
    }

    private static UsageException Unknown(object root, string key)
    {
        var known = new ConfigBinding(root, new HashSet<string>(), false).Fields().Select(f => f.Path).ToList();
        var best = known.Select(k => (k, d: Distance(k, key))).OrderBy(x => x.d).ThenBy(x => x.k, StringComparer.Ordinal).FirstOrDefault();
        var hint = best.k is not null && best.d <= Math.Max(2, key.Length / 3) ? $" Did you mean '{best.k}'?" : "";
        return new UsageException($"Unknown argument '{key}'.{hint} Append {HelpFlag} to see every argument.");
    }

    internal static int Distance(string a, string b)
    {
        var prev = new int[b.Length + 1];
        var cur = new int[b.Length + 1];
        for (int j = 0; j <= b.Length; j++) prev[j] = j;
        for (int i = 1; i <= a.Length; i++)
        {
            cur[0] = i;
            for (int j = 1; j <= b.Length; j++)
                cur[j] = Math.Min(Math.Min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
            (prev, cur) = (cur, prev);
        }
        return prev[b.Length];
    }
}

/// <summary>One field of a bound config tree, as <c>--help</c> lists it.</summary>
/// <param name="Path">Dotted path (<c>dataset_builder.common_config.batch_size</c>).</param>
/// <param name="TypeName">The type (<see cref="ConfigBinder.TypeName"/>).</param>
/// <param name="Value">The current value.</param>
/// <param name="FromCommandLine">Set by an override rather than left at its default.</param>
/// <param name="Required">Declared <c>required</c>.</param>
/// <param name="Doc">The field's description.</param>
public sealed record ConfigField(string Path, string TypeName, object? Value, bool FromCommandLine, bool Required, string Doc);

/// <summary>The result of <see cref="ConfigBinder.Bind{T}"/>: the bound root and where each value came from.</summary>
public sealed class ConfigBinding
{
    private readonly HashSet<string> _fromCli;

    internal ConfigBinding(object root, HashSet<string> fromCli, bool helpRequested)
    {
        Root = root;
        _fromCli = fromCli;
        HelpRequested = helpRequested;
    }

    /// <summary>The config tree, overrides applied.</summary>
    public object Root { get; }

    /// <summary>True when <c>--help</c> was among the arguments.</summary>
    public bool HelpRequested { get; }

    /// <summary>Every field of the tree, depth first in declaration order (an object field is listed, then its subfields).</summary>
    public IReadOnlyList<ConfigField> Fields()
    {
        var rows = new List<ConfigField>();
        Walk(Root, "", rows);
        return rows;
    }

    private void Walk(object target, string prefix, List<ConfigField> rows)
    {
        foreach (var f in Field.All(target.GetType()))
        {
            var path = prefix + f.Name;
            var value = f.Get(target);
            bool polymorphic = f.IsObject && f.Variants.Count > 0;
            if (!f.IsObject || polymorphic || value is null)
                rows.Add(new ConfigField(path, ConfigBinder.TypeName(f.Type) + (f.Nullable && !f.Type.IsValueType ? " | None" : ""), value,
                    _fromCli.Contains(path), f.Required, f.Doc));
            if (f.IsObject && value is not null) Walk(value, path + ".", rows);
        }
    }

    /// <summary>The <c>--help</c> text: <c>Arguments:</c>, then one row per field: path, type, value (origin), doc.</summary>
    public string HelpText()
    {
        var rows = Fields().Select(f => (f.Path, f.TypeName,
            Value: ConfigBinder.Show(f.Value) + (f.FromCommandLine ? " (from command line)" : f.Required && f.Value is null ? " (required)" : " (default)"),
            f.Doc)).ToList();
        int w0 = rows.Max(r => r.Path.Length), w1 = rows.Max(r => r.TypeName.Length), w2 = rows.Max(r => r.Value.Length);
        var sb = new StringBuilder("Arguments:\n");
        foreach (var r in rows)
            sb.Append("  ").Append(r.Path.PadRight(w0)).Append("  ").Append(r.TypeName.PadRight(w1)).Append("  ")
              .Append((r.Value.PadRight(w2) + "  " + r.Doc).TrimEnd()).Append('\n');
        return sb.ToString();
    }
}

/// <summary>A settable public property of a config class, seen as a chz field.</summary>
internal sealed class Field
{
    private readonly PropertyInfo _property;

    private Field(PropertyInfo p)
    {
        _property = p;
        Name = p.GetCustomAttribute<JsonPropertyNameAttribute>()?.Name ?? JsonNamingPolicy.SnakeCaseLower.ConvertName(p.Name);
        Type = p.PropertyType;
        Required = p.GetCustomAttribute<RequiredMemberAttribute>() is not null;
        Doc = p.GetCustomAttribute<ConfigDocAttribute>()?.Text ?? "";
        IsObject = IsConfigObject(Type);
        var variants = p.GetCustomAttribute<ConfigVariantsAttribute>() ?? Type.GetCustomAttribute<ConfigVariantsAttribute>();
        Variants = variants?.Types ?? [];
        Nullable = new NullabilityInfoContext().Create(p).WriteState == NullabilityState.Nullable;
    }

    public string Name { get; }
    public Type Type { get; }
    public bool Required { get; }
    public string Doc { get; }
    public bool IsObject { get; }
    public bool Nullable { get; }
    public IReadOnlyList<Type> Variants { get; }

    public object? Get(object target) => _property.GetValue(target);

    public void Set(object target, object? value) => _property.SetValue(target, value);

    public static bool IsConfigObject(Type t) =>
        t.IsClass && t != typeof(string) && !t.IsArray && ConfigBinder.ListElement(t) is null;

    public static IReadOnlyList<Field> All(Type type) =>
        type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.CanRead && p.CanWrite && p.GetIndexParameters().Length == 0)
            .OrderBy(p => Depth(p.DeclaringType!, type)).ThenBy(p => p.MetadataToken)
            .Select(p => new Field(p)).ToList();

    public static Field? Of(Type type, string name) => All(type).FirstOrDefault(f => f.Name == name);

    // Base-class fields first, as a dataclass lists inherited fields before its own.
    private static int Depth(Type declaring, Type type)
    {
        int d = 0;
        for (var t = type; t is not null && t != declaring; t = t.BaseType) d--;
        return d;
    }
}
