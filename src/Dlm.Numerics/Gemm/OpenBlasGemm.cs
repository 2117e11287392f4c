using System.Runtime.InteropServices;

namespace Dlm.Numerics.Gemm;

/// <summary>
/// GEMM through OpenBLAS's <c>cblas_sgemm</c>, loaded at run time with <see cref="NativeLibrary"/>
/// (Debian package <c>libopenblas0-pthread</c>). Optional: <see cref="TryLoad"/> says why it is unavailable.
/// </summary>
public sealed unsafe class OpenBlasGemm : IGemm
{
    private const int CblasRowMajor = 101, CblasNoTrans = 111, CblasTrans = 112;

    private static readonly string[] Candidates =
    [
        "libopenblas.so.0", "libopenblas.so", "libopenblasp.so.0",
        "/usr/lib/x86_64-linux-gnu/libopenblas.so.0", "/usr/lib/aarch64-linux-gnu/libopenblas.so.0",
        "libopenblas.dylib", "libopenblas.dll",
    ];

    private readonly delegate* unmanaged<int, int, int, int, int, int, float, float*, int, float*, int, float, float*, int, void> _sgemm;
    private readonly delegate* unmanaged<int, void> _setThreads;

    // The thread count plain calls run with (OpenBLAS's own default until SetThreads), and the one
    // last set in the library: PooledOpenBlasGemm switches the library to 1 thread for its slices,
    // and a plain call afterwards switches it back, so neither user changes the other's rate.
    private int _plainThreads;
    private int _libraryThreads;

    private OpenBlasGemm(string path, nint handle)
    {
        LibraryPath = path;
        _sgemm = (delegate* unmanaged<int, int, int, int, int, int, float, float*, int, float*, int, float, float*, int, void>)
            NativeLibrary.GetExport(handle, "cblas_sgemm");
        if (NativeLibrary.TryGetExport(handle, "openblas_set_num_threads", out var st))
            _setThreads = (delegate* unmanaged<int, void>)st;
        if (NativeLibrary.TryGetExport(handle, "openblas_get_num_threads", out var gt))
            _plainThreads = _libraryThreads = ((delegate* unmanaged<int>)gt)();
    }

    /// <inheritdoc />
    public string Name => "openblas";

    /// <summary>The library file that was loaded.</summary>
    public string LibraryPath { get; }

    /// <summary>Tries to load OpenBLAS; on failure <paramref name="why"/> says what was tried.</summary>
    public static bool TryLoad(out OpenBlasGemm? gemm, out string why)
    {
        foreach (var name in Candidates)
        {
            if (!NativeLibrary.TryLoad(name, out var handle)) continue;
            if (!NativeLibrary.TryGetExport(handle, "cblas_sgemm", out _))
            {
                NativeLibrary.Free(handle);
                continue;
            }
            gemm = new OpenBlasGemm(name, handle);
            why = $"loaded {name}";
            return true;
        }
        gemm = null;
        why = "libopenblas.so.0 not found (install the Debian package libopenblas0-pthread)";
        return false;
    }

    /// <summary>Sets the number of threads OpenBLAS uses, when the library exposes it.</summary>
    public void SetThreads(int threads)
    {
        _plainThreads = threads;
        UseThreads(threads);
    }

    /// <summary>Sets the library's thread count when it differs from the one last set (a no-op otherwise).</summary>
    internal void UseThreads(int threads)
    {
        if (_setThreads == null || threads <= 0 || Volatile.Read(ref _libraryThreads) == threads) return;
        _setThreads(threads);
        Volatile.Write(ref _libraryThreads, threads);
    }

    /// <summary>
    /// <c>cblas_sgemm</c> on raw row-major operands, unchecked (the caller validated the whole
    /// product); for <see cref="PooledOpenBlasGemm"/>, which runs slices of one product on several threads.
    /// </summary>
    internal void SgemmUnchecked(bool transA, bool transB, int m, int n, int k,
        float alpha, float* a, int lda, float* b, int ldb, float beta, float* c, int ldc) =>
        _sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
            m, n, k, alpha, a, Math.Max(lda, 1), b, Math.Max(ldb, 1), beta, c, Math.Max(ldc, 1));

    /// <inheritdoc />
    public void Sgemm(bool transA, bool transB, int m, int n, int k,
        float alpha, ReadOnlySpan<float> a, int lda,
        ReadOnlySpan<float> b, int ldb,
        float beta, Span<float> c, int ldc)
    {
        GemmArgs.Validate(transA, transB, m, n, k, a.Length, lda, b.Length, ldb, c.Length, ldc);
        if (m == 0 || n == 0) return;
        if (k == 0)
        {
            // BLAS leaves C untouched when k == 0 only if beta == 1; make the contract explicit.
            for (int i = 0; i < m; i++)
            {
                var row = c.Slice(i * ldc, n);
                if (beta == 0f) row.Clear();
                else for (int j = 0; j < n; j++) row[j] *= beta;
            }
            return;
        }
        UseThreads(_plainThreads);
        fixed (float* pa = a, pb = b, pc = c)
        {
            _sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
                m, n, k, alpha, pa, Math.Max(lda, 1), pb, Math.Max(ldb, 1), beta, pc, Math.Max(ldc, 1));
        }
    }
}
