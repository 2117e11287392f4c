using Dlm.Data.Sources;

namespace Dlm.Data.Build;

/// <summary>
/// Prints a source's malformed records as they are found: the first <see cref="Printed"/> with their
/// place, then one line saying the rest are counted (all of them are in the summary and meta.json).
/// </summary>
internal static class MalformedReporter
{
    public const int Printed = 20;

    public static void Attach(SourceReadContext read, string source, IBuildProgress progress)
    {
        read.MalformedFound += m =>
        {
            long n = read.MalformedCount;
            if (n <= Printed) progress.Info($"{source}: skipped {m}");
            else if (n == Printed + 1) progress.Info($"{source}: more malformed records; they are counted in the summary, not printed");
        };
    }
}
