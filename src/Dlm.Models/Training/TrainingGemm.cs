using Dlm.Numerics.Gemm;

namespace Dlm.Models.Training;

/// <summary>
/// The GEMM backend a training step uses unless told otherwise: <c>DLM_BLAS</c> when it is set
/// (through <see cref="GemmBackends.Default"/>; <c>DLM_BLAS=per-shape</c> gives
/// <see cref="GemmBackends.PerShape"/>), else the managed GEMM. Measured on the 2-core machine
/// (niels-default, docs/engine.md): the managed GEMM shares the model's worker pool and lets attention
/// units run in parallel; the per-shape mix stepped 0.82–0.96x as fast as the managed GEMM alone
/// (OpenBLAS's threads spin after its calls and take the cores from the pool), so it is opt-in.
/// </summary>
public static class TrainingGemm
{
    /// <summary><see cref="GemmBackends.Default"/> when <c>DLM_BLAS</c> is set, else <see cref="GemmBackends.Managed"/>.</summary>
    public static IGemm Default => Forced ? GemmBackends.Default : GemmBackends.Managed;

    /// <summary>How <see cref="Default"/> was chosen, in words (for <c>dlm doctor</c>).</summary>
    public static string SelectionReason =>
        Forced ? $"forced by DLM_BLAS={Environment.GetEnvironmentVariable("DLM_BLAS")}"
        : "managed (DLM_BLAS=per-shape: managed or OpenBLAS per shape, by measurement)";

    private static bool Forced => !string.IsNullOrWhiteSpace(Environment.GetEnvironmentVariable("DLM_BLAS"));
}
