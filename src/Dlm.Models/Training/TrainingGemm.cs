using Dlm.Models.Transformer;
using Dlm.Numerics.Gemm;

namespace Dlm.Models.Training;

/// <summary>
/// The GEMM backend a training step uses unless told otherwise: <c>DLM_BLAS</c> when it is set
/// (through <see cref="GemmBackends.Default"/>), else <see cref="GemmBackends.PerShape"/> (the
/// managed kernel or OpenBLAS per shape, by measurement at start-up (<see cref="Prepare"/>) recorded once per machine
/// (<see cref="GemmDecisionFile"/>: every run computes the same bits), OpenBLAS run single-threaded
/// on slices over dlm's worker pool), or the managed GEMM when OpenBLAS is unavailable. Measured on
/// the 2-core machine (niels-default and the SmolLM2 LoRA step, docs/engine.md): the per-shape mix
/// steps at least as fast as the managed GEMM alone once OpenBLAS no longer runs a thread pool of
/// its own (whose threads spun after each call and took the cores from dlm's pool).
/// </summary>
public static class TrainingGemm
{
    /// <summary><see cref="GemmBackends.Default"/> when <c>DLM_BLAS</c> is set, else <see cref="GemmBackends.PerShape"/> or, without OpenBLAS, <see cref="GemmBackends.Managed"/>.</summary>
    public static IGemm Default => Forced ? GemmBackends.Default : (IGemm?)GemmBackends.PerShape ?? GemmBackends.Managed;

    /// <summary>How <see cref="Default"/> was chosen, in words (for <c>dlm doctor</c>).</summary>
    public static string SelectionReason =>
        Forced ? $"forced by DLM_BLAS={Environment.GetEnvironmentVariable("DLM_BLAS")}"
        : GemmBackends.PerShape is not null
            ? "per-shape: managed or OpenBLAS per product shape, each class of a training step's products timed once per machine when a trainer first meets it"
              + (GemmBackends.PerShape.Decisions is { } f ? $" and recorded in {f.Path} (delete it to time again)" : "")
              + " (DLM_BLAS=managed forces the managed kernel)"
            : $"managed: {GemmBackends.OpenBlasStatus}";

    /// <summary>
    /// Under the per-shape GEMM, decides the backend of every product a training step of
    /// <paramref name="model"/> will issue (<see cref="TrainingShapes"/>), now, before the first step:
    /// no product is then timed inside a step, the masked step's products fall in the classes the full
    /// step's did, and the decisions are made in one stretch rather than whenever a new class first
    /// comes up. Returns them (empty under any other GEMM). Decided classes are kept for the process.
    /// </summary>
    public static IReadOnlyList<GemmShapeChoice> Prepare(TransformerModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        return model.Gemm is PerShapeGemm ps ? ps.Prepare(TrainingShapes.Of(model, model.MaxBatch * model.MaxSeq)) : [];
    }

    private static bool Forced => !string.IsNullOrWhiteSpace(Environment.GetEnvironmentVariable("DLM_BLAS"));
}
