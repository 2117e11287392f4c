using System.Runtime.InteropServices;

namespace Dlm.Numerics.Gemm;

/// <summary>
/// CPU time of the whole process (all threads), at nanosecond resolution, through libc's
/// <c>clock_gettime(CLOCK_PROCESS_CPUTIME_ID)</c>, loaded at run time. Unlike wall time it does not
/// grow while other processes hold the cores, so <see cref="PerShapeGemm"/> uses it to tell a
/// backend that is slower from one that was only descheduled. Unavailable (NaN) where there is no
/// such libc (Process.TotalProcessorTime ticks at 10 ms on Linux, too coarse).
/// </summary>
internal static unsafe class ProcessCpuClock
{
    private const int ClockProcessCpuTimeId = 2;

    [StructLayout(LayoutKind.Sequential)]
    private struct Timespec
    {
        public nint Seconds;
        public nint Nanoseconds;
    }

    private static readonly delegate* unmanaged<int, Timespec*, int> ClockGetTime = Load();

    private static delegate* unmanaged<int, Timespec*, int> Load()
    {
        if (!OperatingSystem.IsLinux()) return null;
        foreach (var name in new[] { "libc.so.6", "libc.so" })
            if (NativeLibrary.TryLoad(name, out var h) && NativeLibrary.TryGetExport(h, "clock_gettime", out var f))
                return (delegate* unmanaged<int, Timespec*, int>)f;
        return null;
    }

    /// <summary>Seconds of CPU the process has used so far, or NaN where the clock is unavailable.</summary>
    public static double Seconds()
    {
        if (ClockGetTime == null) return double.NaN;
        Timespec t;
        if (ClockGetTime(ClockProcessCpuTimeId, &t) != 0) return double.NaN;
        return t.Seconds + t.Nanoseconds * 1e-9;
    }
}
