using Dlm.Numerics.Gemm;
using Dlm.Numerics.Threading;

namespace Dlm.Numerics.Tests;

/// <summary>OpenBLAS single-threaded on row or column slices spread over dlm's own worker pool.</summary>
public sealed class PooledOpenBlasGemmTests : IDisposable
{
    private readonly WorkerPool _pool = new(3);

    public void Dispose() => _pool.Dispose();

    private static OpenBlasGemm Blas => GemmBackends.OpenBlas
        ?? throw new InvalidOperationException($"OpenBLAS is not available ({GemmBackends.OpenBlasStatus}); run tools/reference/setup.sh as root");

    public static TheoryData<int, int, int, bool, bool> Shapes() => new()
    {
        { 97, 40, 33, false, false },  // rows sliced, ragged last slice
        { 40, 97, 33, false, true },   // columns sliced
        { 130, 17, 64, true, false },  // rows, A stored transposed
        { 17, 130, 64, true, true },   // columns, B stored transposed
        { 8, 8, 500, true, false },    // one slice only (fewer than 16 rows per thread)
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Slices_match_float64_reference(int m, int n, int k, bool ta, bool tb)
    {
        var g = new PooledOpenBlasGemm(Blas, _pool);
        GemmCheck.Product(g, m, n, k, ta, tb, pad: 3);
        GemmCheck.Product(g, m, n, k, ta, tb, beta: 0f, nanC: true);
    }
}
