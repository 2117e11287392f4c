using Dlm.Core;

namespace Dlm.Data.Build;

/// <summary>The stages of a pretrain cache build that <see cref="BuildProfile"/> times.</summary>
public enum BuildPhase
{
    /// <summary>Before the first document: the staging folder, the source's file list, the shard writers.</summary>
    Setup,
    /// <summary>Reading the source: files read, records parsed or tags stripped, the shuffle buffer (whichever thread takes a batch).</summary>
    Read,
    /// <summary>The special-token collision check of each document.</summary>
    SpecialCheck,
    /// <summary>The tokenizer's encode of each document (what <c>bench tokenize</c> times).</summary>
    Tokenize,
    /// <summary>A batch's ids packed into its shard-dtype buffer, and the batch's own bookkeeping.</summary>
    Pack,
    /// <summary>The writing thread's handling of each batch: the split, shard writes and rolls.</summary>
    Write,
    /// <summary>After the last batch: shards completed, <c>meta.json</c>, waiting for the disk, the folder moved into place.</summary>
    Finish,
}

/// <summary>
/// Thread CPU time spent in each <see cref="BuildPhase"/> of a build, summed over the threads that
/// did it. Given in <see cref="SourceBuildRequest.Profile"/> (<c>dlm bench cache --profile</c>); a
/// build without one reads no clocks. What the process spent beyond these (the runtime's JIT and
/// collector threads, the background shard flushes, the workers' waits) is the process CPU of the
/// build less <see cref="Total"/>.
/// </summary>
public sealed class BuildProfile
{
    private readonly long[] _nanoseconds = new long[Enum.GetValues<BuildPhase>().Length];

    /// <summary>The calling thread's CPU clock, in nanoseconds (the start of a measured stretch).</summary>
    public static long Now() => (long)(CpuClock.ThreadSeconds() * 1e9);

    /// <summary>Charges the calling thread's CPU time since <paramref name="start"/> (from <see cref="Now"/>) to <paramref name="phase"/>; returns the clock now.</summary>
    public long Charge(BuildPhase phase, long start)
    {
        long now = Now();
        Interlocked.Add(ref _nanoseconds[(int)phase], now - start);
        return now;
    }

    /// <summary>Adds <paramref name="nanoseconds"/> (negative: takes them back) to <paramref name="phase"/>.</summary>
    internal void Add(BuildPhase phase, long nanoseconds) => Interlocked.Add(ref _nanoseconds[(int)phase], nanoseconds);

    /// <summary>Thread CPU seconds charged to <paramref name="phase"/>.</summary>
    public double Seconds(BuildPhase phase) => Interlocked.Read(ref _nanoseconds[(int)phase]) * 1e-9;

    /// <summary>Thread CPU seconds charged to every phase.</summary>
    public double Total => Enum.GetValues<BuildPhase>().Sum(Seconds);

    /// <summary><paramref name="source"/>, with the time each step of its enumeration takes charged to <paramref name="phase"/>.</summary>
    public IEnumerable<T> Timed<T>(IEnumerable<T> source, BuildPhase phase)
    {
        ArgumentNullException.ThrowIfNull(source);
        return Iterate(source, phase);
    }

    private IEnumerable<T> Iterate<T>(IEnumerable<T> source, BuildPhase phase)
    {
        long t = Now();
        using var e = source.GetEnumerator();
        Charge(phase, t);
        while (true)
        {
            t = Now();
            bool more = e.MoveNext();
            Charge(phase, t);
            if (!more) yield break;
            yield return e.Current;
        }
    }
}
