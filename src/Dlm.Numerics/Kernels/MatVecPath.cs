using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Dlm.Numerics.Kernels;

/// <summary>
/// Which implementation of <see cref="MatVec"/> runs: 512-bit vectors where the hardware has
/// them (AVX-512), else 256-bit, else the scalar loop. Each vector path has a scalar reference
/// that sums in exactly its order (<see cref="MatVec.Ordered"/>), so its results can be checked
/// bit for bit; the paths differ from each other only in the order of their sums.
/// </summary>
public enum MatVecPath
{
    /// <summary>Scalar loop, in the 256-bit path's order (the fallback without vector hardware).</summary>
    Scalar,

    /// <summary>256-bit vectors (AVX2, or whatever the runtime accelerates), two accumulators of 8 lanes.</summary>
    Vector256,

    /// <summary>512-bit vectors (AVX-512F), two accumulators of 16 lanes.</summary>
    Vector512,
}

/// <summary>The path this machine takes.</summary>
public static class MatVecPaths
{
    /// <summary>The fastest path the hardware accelerates (picked once).</summary>
    public static MatVecPath Best { get; } =
        Vector512.IsHardwareAccelerated && Avx512F.IsSupported ? MatVecPath.Vector512
        : Vector256.IsHardwareAccelerated ? MatVecPath.Vector256
        : MatVecPath.Scalar;

    /// <summary>Whether <paramref name="path"/> can run on this machine.</summary>
    public static bool IsSupported(MatVecPath path) => path switch
    {
        MatVecPath.Vector512 => Vector512.IsHardwareAccelerated && Avx512F.IsSupported,
        MatVecPath.Vector256 => Vector256.IsHardwareAccelerated,
        _ => true,
    };

    /// <summary>Float lanes per accumulator of <paramref name="path"/> (the scalar path sums as the 256-bit one does).</summary>
    public static int Lanes(MatVecPath path) => path == MatVecPath.Vector512 ? 16 : 8;
}
