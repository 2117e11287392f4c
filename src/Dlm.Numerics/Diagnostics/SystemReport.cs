using System.Runtime.InteropServices;
using Dlm.Core;
using Dlm.Numerics.Gemm;

namespace Dlm.Numerics.Diagnostics;

/// <summary>The measured GEMM rate of one backend.</summary>
/// <param name="Backend">Backend name (<c>openblas</c>, <c>managed</c>).</param>
/// <param name="Gflops">Best observed rate on a square product, GFLOP/s.</param>
/// <param name="Size">Side of the square product that was timed.</param>
public sealed record GemmMeasurement(string Backend, double Gflops, int Size);

/// <summary>
/// What <c>dlm doctor</c> reports: runtime, processor, SIMD, threads, memory, GEMM backends
/// and their measured speed, and where dlm keeps its data.
/// </summary>
public sealed record SystemReport(
    string Runtime,
    string Os,
    string Architecture,
    string CpuModel,
    string Simd,
    int VectorFloats,
    int Threads,
    long MemoryBytes,
    string GemmBackend,
    string GemmSelection,
    bool OpenBlasAvailable,
    string OpenBlasStatus,
    string ManagedKernel,
    IReadOnlyList<GemmMeasurement> Gemm,
    string DlmHome)
{
    /// <summary>The backend training steps use (<c>per-shape</c>, <c>managed</c> or <c>openblas</c>); set by the CLI, which knows the training default.</summary>
    public string? TrainingGemm { get; init; }

    /// <summary>How <see cref="TrainingGemm"/> was chosen, in words.</summary>
    public string? TrainingGemmSelection { get; init; }

    /// <summary>The per-shape choice on each training product (<see cref="GemmBench.TrainingShapes"/>), measured now; null when not measured.</summary>
    public IReadOnlyList<GemmShapeChoice>? TrainingGemmShapes { get; init; }

    /// <summary>Collects the report, timing each available GEMM backend on an n×n×n product.</summary>
    public static SystemReport Collect(int gemmSize = 512)
    {
        var rates = GemmBackends.Available
            .Select(g => new GemmMeasurement(g.Name, Math.Round(GemmRate.Measure(g, gemmSize), 2), gemmSize))
            .ToList();
        return new SystemReport(
            Runtime: RuntimeInformation.FrameworkDescription,
            Os: RuntimeInformation.OSDescription,
            Architecture: RuntimeInformation.ProcessArchitecture.ToString().ToLowerInvariant(),
            CpuModel: CpuInfo.ModelName,
            Simd: CpuInfo.SimdLevel,
            VectorFloats: CpuInfo.VectorFloats,
            Threads: Environment.ProcessorCount,
            MemoryBytes: GC.GetGCMemoryInfo().TotalAvailableMemoryBytes,
            GemmBackend: GemmBackends.Default.Name,
            GemmSelection: GemmBackends.SelectionReason,
            OpenBlasAvailable: GemmBackends.OpenBlas is not null,
            OpenBlasStatus: GemmBackends.OpenBlasStatus,
            ManagedKernel: GemmBackends.Managed is ManagedGemm m ? m.KernelDescription : GemmBackends.Managed.Name,
            Gemm: rates,
            DlmHome: DlmPaths.Home);
    }
}
