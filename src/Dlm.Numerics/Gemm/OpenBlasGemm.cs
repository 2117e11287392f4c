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

    // OpenBLAS keeps one thread count for the whole process, and its results depend on it: a product
    // on 2 threads differs in the last bits from the same product on 1 (measured: about 3.5 % of the
    // elements of a 512x4096x64 product). PooledOpenBlasGemm runs its slices on 1 thread, plain calls
    // on _plainThreads; when both are in use at once (two trainers in one process, one on the default
    // backend), a slice must not run while a plain call has switched the count, or a training run's
    // bits depend on what else the process did at that moment. So every call enters under the count it
    // needs: calls that need the count now set share the library, one that needs another waits until
    // the library is idle and switches it (and callers of the current count wait behind it, so it is
    // not starved).
    private readonly object _threadsGate = new();
    private int _plainThreads;
    private int _libraryThreads;
    private int _inFlight;        // calls inside the library under _libraryThreads
    private int _pendingSwitches; // callers waiting for the library to go idle to switch the count

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

    /// <summary>The thread count plain calls (<see cref="Sgemm"/>) run OpenBLAS with (0: the library cannot say).</summary>
    public int Threads => Volatile.Read(ref _plainThreads);

    /// <summary>Sets the number of threads plain calls (<see cref="Sgemm"/>) run OpenBLAS with, when the library exposes it.</summary>
    public void SetThreads(int threads)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(threads, 1);
        Volatile.Write(ref _plainThreads, threads);
    }

    /// <summary>
    /// <c>cblas_sgemm</c> on raw row-major operands on one OpenBLAS thread, unchecked (the caller
    /// validated the whole product); for <see cref="PooledOpenBlasGemm"/>, which runs slices of one
    /// product on several threads of its own.
    /// </summary>
    internal void SgemmSingleThreaded(bool transA, bool transB, int m, int n, int k,
        float alpha, float* a, int lda, float* b, int ldb, float beta, float* c, int ldc)
    {
        bool entered = Enter(1);
        try
        {
            _sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
                m, n, k, alpha, a, Math.Max(lda, 1), b, Math.Max(ldb, 1), beta, c, Math.Max(ldc, 1));
        }
        finally
        {
            if (entered) Exit();
        }
    }

    // Waits until the library runs `threads` threads and counts the caller in; false when the library
    // cannot set its count (then there is nothing to keep apart).
    private bool Enter(int threads)
    {
        if (_setThreads == null) return false;
        lock (_threadsGate)
        {
            bool waiting = false;
            while (true)
            {
                if (_libraryThreads == threads)
                {
                    if (waiting || _pendingSwitches == 0) break;
                }
                else if (_inFlight == 0)
                {
                    _setThreads(threads);
                    _libraryThreads = threads;
                    Monitor.PulseAll(_threadsGate); // callers of the old count now wait as switchers
                    break;
                }
                else if (!waiting)
                {
                    waiting = true;
                    _pendingSwitches++;
                }
                Monitor.Wait(_threadsGate);
            }
            if (waiting) _pendingSwitches--;
            _inFlight++;
        }
        return true;
    }

    private void Exit()
    {
        lock (_threadsGate)
            if (--_inFlight == 0) Monitor.PulseAll(_threadsGate);
    }

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
        int threads = Volatile.Read(ref _plainThreads);
        bool entered = Enter(threads > 0 ? threads : Environment.ProcessorCount);
        try
        {
            fixed (float* pa = a, pb = b, pc = c)
            {
                _sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
                    m, n, k, alpha, pa, Math.Max(lda, 1), pb, Math.Max(ldb, 1), beta, pc, Math.Max(ldc, 1));
            }
        }
        finally
        {
            if (entered) Exit();
        }
    }
}
