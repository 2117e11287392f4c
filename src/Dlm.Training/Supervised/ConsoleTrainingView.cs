using System.Globalization;
using Dlm.Chat;
using Dlm.Tokenizers;
using Spectre.Console;

namespace Dlm.Training.Supervised;

/// <summary>
/// What the loop shows while it runs. On a terminal: the first datum of each batch coloured
/// (trained tokens green, untrained yellow), a table per step titled <c>Step N</c> (Metric | Value,
/// keys sorted, floats with 6 decimals) and a live progress line (step, loss, tokens/s, ETA) under
/// it. Piped or with NO_COLOR: plain lines, one per step.
/// </summary>
public sealed class ConsoleTrainingView : IDisposable
{
    private readonly TextWriter _out;
    private readonly IAnsiConsole? _ansi;
    private readonly Lock _lock = new();
    private readonly Timer? _timer;
    private readonly System.Diagnostics.Stopwatch _stepClock = new();
    private string _status = "";
    private bool _statusShown, _running;
    private int _runningStep, _totalSteps;

    /// <summary>A view on <paramref name="output"/>; <paramref name="terminal"/> turns on the table, the live line and colour.</summary>
    public ConsoleTrainingView(TextWriter output, bool terminal)
    {
        _out = output ?? throw new ArgumentNullException(nameof(output));
        Terminal = terminal;
        if (terminal)
        {
            _ansi = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(output), Ansi = AnsiSupport.Yes, ColorSystem = ColorSystemSupport.Standard });
            // Rewrites the progress line every second while a step runs, so a long step still shows it is alive.
            _timer = new Timer(_ => Tick(), null, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1));
        }
    }

    /// <summary>A step has started: the live line shows it running, with its elapsed time.</summary>
    public void StepStarted(int step, int totalSteps)
    {
        lock (_lock)
        {
            _running = true;
            _runningStep = step;
            _totalSteps = totalSteps;
            _stepClock.Restart();
        }
    }

    private void Tick()
    {
        lock (_lock)
        {
            if (!_running || !Terminal) return;
            var ci = CultureInfo.InvariantCulture;
            var line = string.Create(ci, $"step {_runningStep + 1}/{_totalSteps} running {Eta(_stepClock.Elapsed)}") + (_status.Length > 0 ? "  |  last: " + _status : "");
            _out.Write("\r\u001b[2K\u001b[1m" + line + "\u001b[0m");
            _out.Flush();
            _statusShown = true;
        }
    }

    /// <summary>The view for this process's stdout: a terminal unless output is redirected, NO_COLOR is set or TERM is dumb.</summary>
    public static ConsoleTrainingView ForConsole() => new(Console.Out, DatumView.ConsoleSupportsColor());

    /// <summary>Whether tables, colour and the live line are on.</summary>
    public bool Terminal { get; }

    /// <summary>Shows the first datum of a batch.</summary>
    public void Datum(Datum datum, ITokenizer tokenizer)
    {
        var text = DatumView.Format(datum, tokenizer, color: Terminal);
        lock (_lock)
        {
            ClearStatus();
            _out.WriteLine(text);
        }
    }

    /// <summary>A log message.</summary>
    public void Message(string text)
    {
        lock (_lock)
        {
            ClearStatus();
            _out.WriteLine(text);
        }
    }

    /// <summary>Shows one finished step.</summary>
    public void Step(int step, int totalSteps, IReadOnlyList<KeyValuePair<string, double>> metrics, TimeSpan eta)
    {
        ArgumentNullException.ThrowIfNull(metrics);
        var ci = CultureInfo.InvariantCulture;
        var m = metrics.ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal);
        double tps = m.GetValueOrDefault("num_tokens") / Math.Max(1e-9, m.GetValueOrDefault("time/step"));
        string nll = m.TryGetValue("train_mean_nll", out var n) ? n.ToString("F4", ci) : "-";
        string test = m.TryGetValue("test/nll", out var t) ? string.Create(ci, $" test/nll {t:F4}") : "";
        string line = string.Create(ci, $"step {step + 1}/{totalSteps}  loss {nll}{test}  {tps:F0} tokens/s  ETA {Eta(eta)}");
        if (!Terminal)
        {
            _out.WriteLine(line);
            return;
        }
        var table = new Table { Title = new TableTitle($"Step {step}") }.Border(TableBorder.Rounded).AddColumn("Metric").AddColumn("Value");
        foreach (var (k, v) in metrics.OrderBy(kv => kv.Key, StringComparer.Ordinal))
            table.AddRow(Markup.Escape(k), Markup.Escape(Format(k, v)));
        lock (_lock)
        {
            _running = false;
            _status = line;
            ClearStatus();
            _ansi!.Write(table);
            _out.Write("\u001b[1m" + line + "\u001b[0m");
            _out.Flush();
            _statusShown = true;
        }
    }

    /// <summary>Ends the live line.</summary>
    public void Done()
    {
        lock (_lock)
        {
            _running = false;
            ClearStatus();
        }
    }

    /// <summary>Stops the timer that refreshes the live line.</summary>
    public void Dispose() => _timer?.Dispose();

    private void ClearStatus()
    {
        if (!_statusShown) return;
        _out.Write("\r\u001b[2K");
        _statusShown = false;
    }

    private static string Format(string key, double v) =>
        key is "step" or "epoch" or "num_sequences" or "num_tokens" or "num_loss_tokens" && v == Math.Floor(v)
            ? ((long)v).ToString(CultureInfo.InvariantCulture)
            : v.ToString("F6", CultureInfo.InvariantCulture);

    private static string Eta(TimeSpan t) =>
        t.TotalHours >= 1 ? t.ToString(@"h\:mm\:ss", CultureInfo.InvariantCulture) : t.ToString(@"m\:ss", CultureInfo.InvariantCulture);
}
