using Dlm.Core;

namespace Dlm.Numerics.Gemm;

/// <summary>
/// Picks the GEMM backend: OpenBLAS when it loads, the managed kernel otherwise.
/// <c>DLM_BLAS=managed|openblas|per-shape</c> forces one; forcing OpenBLAS (or the per-shape choice,
/// which needs it) when it is missing is an error.
/// </summary>
public static class GemmBackends
{
    private static readonly Lazy<(OpenBlasGemm? Gemm, string Why)> OpenBlasProbe = new(() =>
    {
        OpenBlasGemm.TryLoad(out var g, out var why);
        return (g, why);
    });

    private static readonly Lazy<IGemm> DefaultBackend = new(Select);

    private static readonly ManagedGemm ManagedKernel = new();

    private static readonly Lazy<PerShapeGemm?> PerShapeBackend = new(() =>
    {
        if (OpenBlas is not { } ob) return null;
        // OpenBLAS single-threaded on slices over the managed kernel's pool: with its own threads it
        // lost on whole steps (they spin after each call and take the cores from the pool).
        // Decisions recorded per machine, so every process (a run and its resume) computes the same bits.
        return new PerShapeGemm(ManagedKernel, new PooledOpenBlasGemm(ob), GemmDecisionFile.ForThisMachine(Threading.WorkerPool.Shared.Threads, ob.LibraryPath));
    });

    /// <summary>The managed kernel; always available.</summary>
    public static IGemm Managed => ManagedKernel;

    /// <summary>
    /// The managed kernel and OpenBLAS chosen per shape by measurement (one instance per process, so
    /// each shape class is timed once), or null when OpenBLAS is unavailable. OpenBLAS runs through
    /// <see cref="PooledOpenBlasGemm"/>: single-threaded, on slices spread over the managed kernel's pool.
    /// </summary>
    public static PerShapeGemm? PerShape => PerShapeBackend.Value;

    /// <summary>OpenBLAS if it could be loaded, else null.</summary>
    public static OpenBlasGemm? OpenBlas => OpenBlasProbe.Value.Gemm;

    /// <summary>Why OpenBLAS is or is not available, in words.</summary>
    public static string OpenBlasStatus => OpenBlasProbe.Value.Why;

    /// <summary>The backend in use for this process (decided once).</summary>
    public static IGemm Default => DefaultBackend.Value;

    /// <summary>Every backend available on this machine, the default first.</summary>
    public static IReadOnlyList<IGemm> Available
    {
        get
        {
            var list = new List<IGemm> { Default };
            if (OpenBlas is { } ob && !ReferenceEquals(ob, Default)) list.Add(ob);
            if (!ReferenceEquals(Managed, Default)) list.Add(Managed);
            list.RemoveAll(g => g is PerShapeGemm); // a mix, not a backend of its own to time
            return list;
        }
    }

    /// <summary>How the default was chosen, in words (for <c>dlm doctor</c>).</summary>
    public static string SelectionReason
    {
        get
        {
            var forced = Environment.GetEnvironmentVariable("DLM_BLAS");
            if (!string.IsNullOrWhiteSpace(forced)) return $"forced by DLM_BLAS={forced}";
            return OpenBlas is null ? $"managed: {OpenBlasStatus}" : $"openblas: {OpenBlasStatus}";
        }
    }

    private static IGemm Select()
    {
        var forced = Environment.GetEnvironmentVariable("DLM_BLAS")?.Trim().ToLowerInvariant();
        switch (forced)
        {
            case null or "":
                return (IGemm?)OpenBlas ?? Managed;
            case "managed":
                return Managed;
            case "openblas":
                return OpenBlas ?? throw new DlmException($"DLM_BLAS=openblas but OpenBLAS is unavailable: {OpenBlasStatus}");
            case "per-shape":
                return PerShape ?? throw new DlmException($"DLM_BLAS=per-shape but OpenBLAS is unavailable: {OpenBlasStatus}");
            default:
                throw new DlmException($"DLM_BLAS must be 'managed', 'openblas' or 'per-shape', not '{forced}'");
        }
    }
}
