namespace Dlm.Core.Config;

/// <summary>One <c>key=value</c> argument from the command line.</summary>
/// <param name="Key">The dotted path, e.g. <c>dataset_builder.common_config.batch_size</c>.</param>
/// <param name="Value">The raw text after the first <c>=</c>, uncast.</param>
public readonly record struct KeyValueArg(string Key, string Value);

/// <summary>
/// Splits chz-style command-line overrides (<c>key.path=value</c>, no dashes) into ordered
/// pairs. The recipes and the data settings share this one syntax; each binds the pairs to its
/// own typed configuration. When a key repeats, the last occurrence wins.
/// </summary>
public static class KeyValueArgs
{
    /// <summary>
    /// Parses <paramref name="args"/> into overrides, one per distinct key, in order of each key's
    /// first appearance and with the value of its last appearance.
    /// </summary>
    /// <exception cref="UsageException">An argument is not of the form <c>key=value</c>.</exception>
    public static IReadOnlyList<KeyValueArg> Parse(IEnumerable<string> args)
    {
        ArgumentNullException.ThrowIfNull(args);
        var order = new List<string>();
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var arg in args)
        {
            var eq = arg.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0 || arg.StartsWith('-'))
                throw new UsageException($"Specify arguments in the form key=value, got '{arg}'");
            var key = arg[..eq].Trim();
            if (key.Length == 0 || key.Split('.').Any(p => p.Length == 0))
                throw new UsageException($"Specify arguments in the form key=value, got '{arg}' (empty key segment)");
            if (!values.ContainsKey(key)) order.Add(key);
            values[key] = arg[(eq + 1)..];
        }
        return order.Select(k => new KeyValueArg(k, values[k])).ToList();
    }
}
