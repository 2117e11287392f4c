using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Dlm.Numerics;

/// <summary>What the processor offers for SIMD, and what it is called.</summary>
public static class CpuInfo
{
    /// <summary>The widest vector path the JIT will use: AVX-512, AVX2, Vector128, or scalar.</summary>
    public static string SimdLevel =>
        Vector512.IsHardwareAccelerated && Avx512F.IsSupported ? "AVX-512"
        : Avx2.IsSupported && Fma.IsSupported ? "AVX2+FMA"
        : Avx2.IsSupported ? "AVX2"
        : Vector128.IsHardwareAccelerated ? "Vector128"
        : "scalar";

    /// <summary>Width of <see cref="System.Numerics.Vector{T}"/> of float on this machine.</summary>
    public static int VectorFloats => System.Numerics.Vector<float>.Count;

    /// <summary>The CPU model name from /proc/cpuinfo, or the architecture when it cannot be read.</summary>
    public static string ModelName
    {
        get
        {
            try
            {
                if (File.Exists("/proc/cpuinfo"))
                    foreach (var line in File.ReadLines("/proc/cpuinfo"))
                        if (line.StartsWith("model name", StringComparison.Ordinal))
                            return line[(line.IndexOf(':', StringComparison.Ordinal) + 1)..].Trim();
            }
            catch (IOException) { }
            catch (UnauthorizedAccessException) { }
            return System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture.ToString();
        }
    }
}
