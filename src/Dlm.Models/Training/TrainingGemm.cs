using Dlm.Numerics.Gemm;

namespace Dlm.Models.Training;

/// <summary>
/// The GEMM backend a training step uses unless told otherwise: <c>DLM_BLAS</c> when it is set
/// (through <see cref="GemmBackends.Default"/>), else the managed GEMM. Measured on the 2-core
/// machine (niels-default, docs/engine.md): the managed GEMM shares the model's worker pool, lets
/// attention heads run in parallel and gave 2.4–2.5x PyTorch's tokens/s against OpenBLAS's 1.7x.
/// </summary>
public static class TrainingGemm
{
    /// <summary><see cref="GemmBackends.Default"/> when <c>DLM_BLAS</c> is set, else <see cref="GemmBackends.Managed"/>.</summary>
    public static IGemm Default =>
        string.IsNullOrWhiteSpace(Environment.GetEnvironmentVariable("DLM_BLAS")) ? GemmBackends.Managed : GemmBackends.Default;
}
