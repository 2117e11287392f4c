using System.Diagnostics;
using System.Globalization;

namespace Dlm.Training.FromScratch;

/// <summary>
/// Shows a from-scratch run on a console. On a terminal: one live line rewritten in place (stage, step,
/// loss, tokens/s, ETA, last validation loss), with messages and validation results printed above it.
/// Piped or with NO_COLOR: plain lines, one every <see cref="PlainEvery"/> steps, one per validation, and
/// the messages. Reports come from the training thread; the view is thread-safe.
/// </summary>
public sealed class ScratchConsoleView : IProgress<ScratchProgress>
{
    private readonly TextWriter _out;
    private readonly Lock _lock = new();
    private readonly Stopwatch _sinceDraw = Stopwatch.StartNew();
    private bool _lineShown;

    /// <summary>A view on <paramref name="output"/>; <paramref name="terminal"/> turns the live line on.</summary>
    public ScratchConsoleView(TextWriter output, bool terminal)
    {
        _out = output ?? throw new ArgumentNullException(nameof(output));
        Terminal = terminal;
    }

    /// <summary>The view for this process's stdout: live when it is a terminal and NO_COLOR is unset.</summary>
    public static ScratchConsoleView ForConsole() =>
        new(Console.Out, !Console.IsOutputRedirected && string.IsNullOrEmpty(Environment.GetEnvironmentVariable("NO_COLOR"))
            && Environment.GetEnvironmentVariable("TERM") is not "dumb");

    /// <summary>Whether the live line is on.</summary>
    public bool Terminal { get; }

    /// <summary>Plain mode prints a step line every this many steps (default 10).</summary>
    public int PlainEvery { get; init; } = 10;

    /// <summary>The text of the live line for a step report.</summary>
    public static string Line(ScratchProgress p)
    {
        ArgumentNullException.ThrowIfNull(p);
        var ci = CultureInfo.InvariantCulture;
        var loss = p.Loss is { } l ? l.ToString("F4", ci) : "-";
        var val = p.ValLoss is { } v ? v.ToString("F4", ci) : "-";
        var eta = p.Eta is { } e ? Format(e) : "-";
        return string.Create(ci, $"{p.Stage.Name()} step {p.Step}/{p.TotalSteps}  loss {loss}  {p.TokensPerSecond:F0} tok/s  ETA {eta}  val loss {val}");
    }

    /// <inheritdoc/>
    public void Report(ScratchProgress value)
    {
        ArgumentNullException.ThrowIfNull(value);
        lock (_lock)
        {
            switch (value.Kind)
            {
                case ScratchProgressKind.Message:
                case ScratchProgressKind.Eval:
                    Clear();
                    _out.WriteLine(value.Message ?? Line(value));
                    _out.Flush();
                    break;
                case ScratchProgressKind.Step when Terminal:
                    // Redrawn at most 5 times a second: a tiny model runs hundreds of steps a second.
                    if (_sinceDraw.ElapsedMilliseconds < 200 && value.Step != value.TotalSteps) return;
                    _sinceDraw.Restart();
                    _out.Write("\r\u001b[2K\u001b[1m" + Line(value) + "\u001b[0m");
                    _out.Flush();
                    _lineShown = true;
                    break;
                case ScratchProgressKind.Step:
                    if (value.Step % Math.Max(1, PlainEvery) == 0 || value.Step == 1)
                    {
                        _out.WriteLine(Line(value));
                        _out.Flush();
                    }
                    break;
            }
        }
    }

    /// <summary>Ends the live line (call when the run is over).</summary>
    public void Done()
    {
        lock (_lock) Clear();
    }

    private void Clear()
    {
        if (!_lineShown) return;
        _out.Write("\r\u001b[2K");
        _lineShown = false;
    }

    private static string Format(TimeSpan t) =>
        t.TotalHours >= 1 ? t.ToString(@"h\:mm\:ss", CultureInfo.InvariantCulture) : t.ToString(@"m\:ss", CultureInfo.InvariantCulture);
}
