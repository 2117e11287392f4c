namespace Dlm.Data.Settings;

/// <summary>A mix: source name to sampling weight, validated (non-empty, weights in (0, 1], sum 1 within 1e-6).</summary>
public sealed class Mix
{
    /// <summary>A mix of these weights, in the order given.</summary>
    public Mix(IEnumerable<KeyValuePair<string, double>> weights)
    {
        ArgumentNullException.ThrowIfNull(weights);
        Weights = weights.ToList();
    }

    /// <summary>The weights in the order the settings gave them.</summary>
    public IReadOnlyList<KeyValuePair<string, double>> Weights { get; }

    /// <summary>The source names, in the order given.</summary>
    public IEnumerable<string> Sources => Weights.Select(w => w.Key);

    /// <summary>Problems with this mix (empty when valid): each names the source and what is wrong.</summary>
    public IReadOnlyList<string> Problems(Func<string, string?> sourceProblem)
    {
        ArgumentNullException.ThrowIfNull(sourceProblem);
        var problems = new List<string>();
        if (Weights.Count == 0) { problems.Add("the mix is empty"); return problems; }
        foreach (var (name, w) in Weights)
        {
            if (sourceProblem(name) is { } p) problems.Add($"'{name}': {p}");
            if (!(w > 0 && w <= 1)) problems.Add($"'{name}': weight {w} is not in (0, 1]");
        }
        double sum = Weights.Sum(w => w.Value);
        if (Math.Abs(sum - 1) > 1e-6) problems.Add($"weights sum to {sum}, not 1");
        return problems;
    }

    /// <summary>Formats as <c>{a: 0.7, b: 0.3}</c>.</summary>
    public override string ToString() =>
        "{" + string.Join(", ", Weights.Select(w => $"{w.Key}: {w.Value.ToString(System.Globalization.CultureInfo.InvariantCulture)}")) + "}";
}
