namespace Dlm.Numerics.Gemm;

/// <summary>Which inner loop <see cref="ManagedGemm"/> runs.</summary>
internal enum GemmKernel
{
    /// <summary>The scalar reference loop (<see cref="ReferenceGemm"/>) for every size.</summary>
    Scalar,

    /// <summary>Packed 6×8 tiles on Vector128 (SSE, NEON).</summary>
    Vector128,

    /// <summary>Packed 6×16 tiles on Vector256 (AVX2+FMA, or emulated where 256-bit is not native).</summary>
    Vector256,

    /// <summary>Packed 12×32 tiles on Vector512 (AVX-512).</summary>
    Vector512,
}
