using Dlm.Numerics.Gemm;

namespace Dlm.TestSupport;

/// <summary>
/// A second GEMM backend of a known speed for the per-shape tests: it counts its calls, then computes
/// through <paramref name="inner"/> (when <paramref name="compute"/>) and sleeps <paramref name="sleepMs"/>
/// (a slow backend), or does neither (a backend faster than any real one). Named <c>openblas</c>, the
/// name <see cref="PerShapeGemm"/> reports for its other backend.
/// </summary>
public sealed class StandInGemm(ManagedGemm inner, int sleepMs, bool compute) : IGemm
{
    private int _calls;

    /// <summary>Calls so far (any thread).</summary>
    public int Calls => Volatile.Read(ref _calls);

    /// <inheritdoc />
    public string Name => "openblas";

    /// <inheritdoc />
    public void Sgemm(bool transA, bool transB, int m, int n, int k, float alpha, ReadOnlySpan<float> a, int lda,
        ReadOnlySpan<float> b, int ldb, float beta, Span<float> c, int ldc)
    {
        Interlocked.Increment(ref _calls);
        if (compute) inner.Sgemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
        if (sleepMs > 0) Thread.Sleep(sleepMs);
    }
}
