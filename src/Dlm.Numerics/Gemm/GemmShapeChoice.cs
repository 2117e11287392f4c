namespace Dlm.Numerics.Gemm;

/// <summary>
/// The backend <see cref="PerShapeGemm"/> chose for one class of product shapes, with the times that
/// decided it. m, n and k are those of the product that was timed; the class is the weight's two
/// dimensions rounded up to powers of two and the rows capped at <see cref="PerShapeGemm.LargeRows"/> (see <see cref="PerShapeGemm"/>).
/// </summary>
/// <param name="Trans">Transpose code in BLAS order, e.g. <c>TN</c>.</param>
/// <param name="M">Rows of C of the first product of the class (the one timed).</param>
/// <param name="N">Columns of C of that product.</param>
/// <param name="K">Inner dimension of that product.</param>
/// <param name="Accumulate">Whether the product adds onto C (beta ≠ 0).</param>
/// <param name="Backend">The backend in use for the class: <c>managed</c> or <c>openblas</c>.</param>
/// <param name="ManagedMs">Best of the managed kernel's timed runs, milliseconds (null: not timed).</param>
/// <param name="OpenblasMs">Best of OpenBLAS's timed runs, milliseconds (null: not timed).</param>
/// <param name="Reason">Why: measured, too small to time, or the limit of timed classes reached.</param>
/// <param name="ManagedCpuMs">Best process CPU time (all threads) of the managed kernel's runs, milliseconds (null: not timed or no clock).</param>
/// <param name="OpenblasCpuMs">Best process CPU time of OpenBLAS's runs, milliseconds (null: not timed or no clock).</param>
/// <param name="Shape">The named product this decision was looked up for (<c>dlm doctor</c>), when there is one.</param>
public sealed record GemmShapeChoice(string Trans, int M, int N, int K, bool Accumulate, string Backend,
    double? ManagedMs, double? OpenblasMs, string Reason, double? ManagedCpuMs = null, double? OpenblasCpuMs = null, string? Shape = null)
{
    /// <summary>The managed kernel's rate as a fraction of OpenBLAS's (null when not timed).</summary>
    public double? ManagedOverOpenblas => ManagedMs is { } m && OpenblasMs is { } o && m > 0 ? Math.Round(o / m, 3) : null;
}
