using Dlm.Numerics.Gemm;

namespace Dlm.Models.Training;

/// <summary>
/// The GEMM backend a training step uses unless told otherwise: <c>DLM_BLAS</c> when it is set
/// (through <see cref="GemmBackends.Default"/>), else <see cref="GemmBackends.PerShape"/> where
/// OpenBLAS loads (each top-level product on whichever backend measured faster on its shape,
/// attention's block products on the managed kernel), else the managed GEMM. See docs/engine.md.
/// </summary>
public static class TrainingGemm
{
    /// <summary>The backend for training steps on this machine.</summary>
    public static IGemm Default =>
        Forced ? GemmBackends.Default : (IGemm?)GemmBackends.PerShape ?? GemmBackends.Managed;

    /// <summary>How <see cref="Default"/> was chosen, in words (for <c>dlm doctor</c>).</summary>
    public static string SelectionReason =>
        Forced ? $"forced by DLM_BLAS={Environment.GetEnvironmentVariable("DLM_BLAS")}"
        : GemmBackends.PerShape is null ? $"managed: {GemmBackends.OpenBlasStatus}"
        : $"managed or OpenBLAS per shape, whichever is over {PerShapeGemm.Margin:P0} faster when the shape first comes up";

    private static bool Forced => !string.IsNullOrWhiteSpace(Environment.GetEnvironmentVariable("DLM_BLAS"));
}
