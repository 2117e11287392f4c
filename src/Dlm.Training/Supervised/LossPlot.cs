namespace Dlm.Training.Supervised;

/// <summary><c>loss.png</c>: train NLL and test NLL against step, drawn with ScottPlot.</summary>
public static class LossPlot
{
    /// <summary>The file name.</summary>
    public const string FileName = "loss.png";

    /// <summary>Draws the curves of <c>metrics.jsonl</c> (the last row of a step wins, as after a resume) into <c>loss.png</c>.</summary>
    public static string Write(string logPath)
    {
        var byStep = new SortedDictionary<int, Dictionary<string, double>>();
        foreach (var row in MetricsLog.Read(logPath))
            if (row.TryGetValue("step", out var s)) byStep[(int)s] = row;
        var train = byStep.Where(kv => kv.Value.TryGetValue("train_mean_nll", out var v) && double.IsFinite(v)).ToList();
        var test = byStep.Where(kv => kv.Value.TryGetValue("test/nll", out var v) && double.IsFinite(v)).ToList();
        var plot = new ScottPlot.Plot();
        if (train.Count > 0)
        {
            var line = plot.Add.Scatter(train.Select(kv => (double)kv.Key).ToArray(), train.Select(kv => kv.Value["train_mean_nll"]).ToArray());
            line.LegendText = "train NLL";
            line.MarkerSize = train.Count > 50 ? 0 : 4;
        }
        if (test.Count > 0)
        {
            var line = plot.Add.Scatter(test.Select(kv => (double)kv.Key).ToArray(), test.Select(kv => kv.Value["test/nll"]).ToArray());
            line.LegendText = "test NLL";
            line.MarkerSize = 6;
        }
        plot.Title("Negative log-likelihood per trained token");
        plot.XLabel("step");
        plot.YLabel("NLL (nats)");
        plot.ShowLegend(ScottPlot.Alignment.UpperRight);
        var path = Path.Combine(logPath, FileName);
        var temp = Path.Combine(logPath, $".{FileName}.{Environment.ProcessId}.tmp.png");
        plot.SavePng(temp, 900, 540);
        File.Move(temp, path, overwrite: true);
        return path;
    }
}
