using System.Globalization;

namespace Dlm.Models.Training;

/// <summary>
/// The whole machine's CPU time so far, from the first line of <c>/proc/stat</c> (Linux; NaN elsewhere):
/// busy seconds over all cores (user, nice, system, irq, softirq) and the hypervisor's steal. Taken
/// around a timed stretch and less the process's own CPU time, it says how much other processes ran
/// meanwhile, which is what tells a slower stretch of our own work from one that shared the cores.
/// </summary>
public static class MachineCpu
{
    // USER_HZ: the unit of /proc/stat, 100 on every Linux configuration .NET runs on.
    private const double TicksPerSecond = 100.0;

    /// <summary>Busy and steal seconds summed over all cores since boot (NaN, NaN where /proc/stat cannot be read).</summary>
    public static (double Busy, double Steal) Read()
    {
        try
        {
            using var reader = new StreamReader("/proc/stat");
            var line = reader.ReadLine();
            if (line is null || !line.StartsWith("cpu ", StringComparison.Ordinal)) return (double.NaN, double.NaN);
            var f = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            double Field(int i) => f.Length > i ? double.Parse(f[i], CultureInfo.InvariantCulture) : 0;
            // cpu user nice system idle iowait irq softirq steal ...
            double busy = Field(1) + Field(2) + Field(3) + Field(6) + Field(7);
            return (busy / TicksPerSecond, Field(8) / TicksPerSecond);
        }
        catch (IOException)
        {
            return (double.NaN, double.NaN);
        }
        catch (UnauthorizedAccessException)
        {
            return (double.NaN, double.NaN);
        }
    }
}
