using System.Diagnostics;
using System.Globalization;
using Dlm.Training.Demo;
using Spectre.Console;

namespace Dlm.Cli.Output;

/// <summary>
/// <c>dlm demo</c>'s progress: one line per stage on <paramref name="output"/> (<c>[3/7] settings: reused ...</c>),
/// and while a stage works, Spectre.Console bars on stderr when it is a terminal (and NO_COLOR is
/// unset), otherwise a plain progress line on stderr every few seconds.
/// </summary>
internal sealed class DemoConsoleProgress(TextWriter output) : IDemoProgress
{
    private static readonly int StageCount = Enum.GetValues<DemoStage>().Length;
    private readonly IAnsiConsole _err = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });

    private bool Bars => ProgressBars.Enabled(_err);

    private static string Name(DemoStage s) => s.ToString().ToLowerInvariant();

    private static string Head(DemoStage s) => string.Create(CultureInfo.InvariantCulture, $"[{(int)s + 1}/{StageCount}] {Name(s)}");

    public void Reused(DemoStage stage, string detail) => output.WriteLine($"{Head(stage)}: reused: {detail}");

    public void Done(DemoStage stage, string detail) => output.WriteLine($"{Head(stage)}: done: {detail}");

    public T Run<T>(DemoStage stage, string title, Func<IStageProgress, T> work)
    {
        ArgumentNullException.ThrowIfNull(work);
        output.WriteLine($"{Head(stage)}: {title}");
        output.Flush();
        if (!Bars) return work(new Lines(Console.Error));
        T result = default!;
        _err.Progress().AutoClear(true)
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn())
            .Start(ctx => result = work(new BarSink(ctx, _err)));
        return result;
    }

    /// <summary>One bar per stage reported.</summary>
    private sealed class BarSink(ProgressContext ctx, IAnsiConsole console) : IStageProgress
    {
        private readonly Dictionary<DemoStage, ProgressTask> _tasks = [];

        public void Report(DemoStage stage, double done, double total, string status)
        {
            lock (_tasks)
            {
                if (!_tasks.TryGetValue(stage, out var task))
                {
                    foreach (var t in _tasks.Values) { t.Value = t.MaxValue; t.StopTask(); } // the earlier stage is over
                    _tasks[stage] = task = ctx.AddTask(Markup.Escape(Name(stage)), maxValue: Math.Max(1, total));
                }
                task.MaxValue = Math.Max(1, total);
                task.Value = Math.Min(done, task.MaxValue);
                task.Description = Markup.Escape($"{Name(stage)}: {status}");
            }
        }

        public void Line(string text) => console.MarkupLine(Markup.Escape(text));
    }

    /// <summary>Plain lines: at most one every five seconds per stage, and the first report of each stage.</summary>
    private sealed class Lines(TextWriter w) : IStageProgress
    {
        private readonly Stopwatch _clock = Stopwatch.StartNew();
        private readonly Dictionary<DemoStage, (double Time, string Status)> _last = [];

        public void Report(DemoStage stage, double done, double total, string status)
        {
            lock (_last)
            {
                double now = _clock.Elapsed.TotalSeconds;
                if (_last.TryGetValue(stage, out var last) && (last.Status == status || (now - last.Time < 5 && done < total))) return;
                _last[stage] = (now, status);
            }
            double pct = total > 0 ? 100 * Math.Min(1, done / total) : 0;
            w.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{Name(stage)}: {pct,3:F0}% {status}"));
        }

        public void Line(string text) => w.WriteLine(text);
    }
}
