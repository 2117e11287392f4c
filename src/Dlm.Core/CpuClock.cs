using System.Runtime.InteropServices;

namespace Dlm.Core;

/// <summary>
/// CPU time at nanosecond resolution through libc's <c>clock_gettime</c>: of the whole process
/// (all threads) or of the calling thread. Benchmarks compare CPU time because other processes'
/// load moves it much less than wall time; <see cref="System.Diagnostics.Process.TotalProcessorTime"/>
/// ticks at 10 ms on Linux, several per cent of a 0.2 s measurement. NaN where there is no such libc.
/// </summary>
public static unsafe class CpuClock
{
    private const int ProcessCpuTimeId = 2; // CLOCK_PROCESS_CPUTIME_ID
    private const int ThreadCpuTimeId = 3;  // CLOCK_THREAD_CPUTIME_ID

    [StructLayout(LayoutKind.Sequential)]
    private struct Timespec
    {
        public nint Seconds;
        public nint Nanoseconds;
    }

    private static readonly delegate* unmanaged<int, Timespec*, int> ClockGetTime =
        (delegate* unmanaged<int, Timespec*, int>)Libc.Find("clock_gettime");

    /// <summary>Whether the clocks are available (Linux with glibc).</summary>
    public static bool IsAvailable => ClockGetTime != null;

    /// <summary>Seconds of CPU the process has used so far (all threads), or NaN.</summary>
    public static double ProcessSeconds() => Read(ProcessCpuTimeId);

    /// <summary>Seconds of CPU the calling thread has used so far, or NaN.</summary>
    public static double ThreadSeconds() => Read(ThreadCpuTimeId);

    private static double Read(int clock)
    {
        if (ClockGetTime == null) return double.NaN;
        Timespec t;
        if (ClockGetTime(clock, &t) != 0) return double.NaN;
        return t.Seconds + t.Nanoseconds * 1e-9;
    }
}
