namespace Dlm.Core;

/// <summary>Summaries of repeated measurements (benchmarks time several rounds and report the middle one).</summary>
public static class Statistics
{
    /// <summary>The median of <paramref name="values"/> (the mean of the middle two for an even count); NaN for none.</summary>
    public static double Median(IEnumerable<double> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        var v = values.Order().ToArray();
        if (v.Length == 0) return double.NaN;
        int h = v.Length / 2;
        return v.Length % 2 == 1 ? v[h] : (v[h - 1] + v[h]) / 2;
    }
}
