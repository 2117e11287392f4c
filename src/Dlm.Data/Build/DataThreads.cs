using System.Globalization;

namespace Dlm.Data.Build;

/// <summary>How many threads a cache build tokenizes on: <c>DLM_THREADS</c> when set, else one per processor. The output never depends on it.</summary>
public static class DataThreads
{
    /// <summary>The thread count to use.</summary>
    public static int Resolve()
    {
        var env = Environment.GetEnvironmentVariable("DLM_THREADS");
        return int.TryParse(env, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) && n > 0 ? n : Environment.ProcessorCount;
    }
}
