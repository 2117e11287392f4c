using System.Diagnostics;
using System.Numerics;
using Dlm.Core;

namespace Dlm.Numerics.Gemm;

/// <summary>
/// Runs each product on whichever of the managed kernel and OpenBLAS measured faster on its shape.
/// A class of shapes is the transposes, whether C is accumulated, the two dimensions of the weight
/// (n and k of a product whose A is not transposed, m and n of one whose A is: a training step's
/// Y = X·Wᵀ, dX = dY·W and dW += dYᵀ·X), each rounded up to a power of two, and the rows (the third
/// dimension: tokens) rounded up to a power of two but at most <see cref="LargeRows"/>, so one product
/// of a layer is one decision whether it runs on every row of the batch or on the weighted half of it
/// (the masked step's last block and LM head), and the LM head's varying chunk rows share a few.
/// A class is decided by <see cref="Prepare"/> (training does it for every product of its step before
/// the first one: <c>TrainingGemm.Prepare</c>), by <see cref="Decide"/>, or else the first time it comes up;
/// both backends are timed on it, alternately <see cref="Trials"/> times each after a warm-up, and the
/// class keeps the winner for the rest of the process: OpenBLAS only when it is more than
/// <see cref="Margin"/> faster both in the median wall time and in the median process CPU time (where
/// that clock exists: on a loaded machine a run that was only descheduled looks slow in wall time, not
/// in CPU time), since the managed kernel shares the caller's worker pool.
/// Products below <see cref="MinTimedWork"/> multiply-adds, classes past <see cref="MaxTimedClasses"/>,
/// and every call made from inside a parallel loop body (attention units, where OpenBLAS would start
/// its threads inside the pool's) take the managed kernel. Once a class is decided a call allocates
/// nothing. Which backend computed a product decides its last bits (both stay within the fixtures'
/// tolerances), so with a <see cref="GemmDecisionFile"/> (the process default has one) a class is
/// timed only once per machine and every later process takes the recorded winner: two runs of the
/// same training on one machine compute the same bits. Without one, the choice can differ from run
/// to run; <c>DLM_BLAS=managed</c> gives bits that depend only on the inputs on any machine.
/// </summary>
public sealed class PerShapeGemm : IGemm
{
    /// <summary>OpenBLAS must beat the managed kernel by more than this fraction to be chosen (0.10).</summary>
    public const double Margin = 0.10;

    /// <summary>Timed runs of each backend per class (after one warm-up each); the median of them decides.</summary>
    public const int Trials = 3;

    /// <summary>
    /// Rows (the dimension that is neither of the weight's) are classed by powers of two up to this
    /// (512); every product of more rows is in the class of 512, where the rate no longer depends on them.
    /// </summary>
    public const int LargeRows = 512;

    /// <summary>
    /// Products of fewer multiply-adds than this (2²⁶, e.g. 512 × 512 × 256) are not timed: they take
    /// the managed kernel. Small enough that every linear of niels-default and SmolLM2 is timed, large
    /// enough that the small models of the tests never are (their bits stay independent of timings).
    /// </summary>
    public const long MinTimedWork = 1L << 26;

    /// <summary>At most this many classes are timed (128: a training step prepares up to ~80, each linear and the LM head at several row counts); later new classes take the managed kernel.</summary>
    public const int MaxTimedClasses = 128;

    private readonly ManagedGemm _managed;
    private readonly IGemm _openBlas;
    private readonly Dictionary<ShapeClass, Entry> _classes = [];
    private readonly List<GemmShapeChoice> _log = [];
    private readonly object _gate = new();
    private readonly GemmDecisionFile? _decisions;
    private int _timed;

    /// <summary>Chooses between <paramref name="managed"/> and <paramref name="openBlas"/> per shape class.</summary>
    /// <param name="managed">The managed kernel (also used inside parallel loops and for small products).</param>
    /// <param name="openBlas">The other backend, normally <see cref="OpenBlasGemm"/> (with the same thread count).</param>
    /// <param name="decisions">Where decisions of earlier processes are read and new ones recorded (null: this process only).</param>
    public PerShapeGemm(ManagedGemm managed, IGemm openBlas, GemmDecisionFile? decisions = null)
    {
        _managed = managed ?? throw new ArgumentNullException(nameof(managed));
        _openBlas = openBlas ?? throw new ArgumentNullException(nameof(openBlas));
        _decisions = decisions;
    }

    /// <summary>The file that keeps this machine's decisions across processes (null: none).</summary>
    public GemmDecisionFile? Decisions => _decisions;

    /// <inheritdoc />
    public string Name => "per-shape";

    /// <summary>The managed kernel this instance falls back to.</summary>
    public ManagedGemm Managed => _managed;

    /// <summary>The decisions so far, in the order the classes first came up.</summary>
    public IReadOnlyList<GemmShapeChoice> Choices
    {
        get
        {
            lock (_gate) return [.. _log];
        }
    }

    /// <summary>
    /// The backend a product of this shape runs on now, without timing anything: <c>managed</c> for
    /// products too small to time, the class's choice once it is decided, null while it is not.
    /// </summary>
    public string? BackendFor(bool transA, bool transB, int m, int n, int k, bool accumulate)
    {
        if (m == 0 || n == 0 || k == 0 || (long)m * n * k < MinTimedWork) return _managed.Name;
        lock (_gate)
            return _classes.TryGetValue(Key(transA, transB, m, n, k, accumulate), out var e)
                ? _log[e.LogIndex].Backend : null;
    }

    /// <summary>Decides the class of a product now (timing it on scratch operands of its shape if needed) and returns the decision.</summary>
    public GemmShapeChoice Decide(bool transA, bool transB, int m, int n, int k, bool accumulate)
    {
        lock (_gate)
        {
            // Decided already: no scratch operands (a trainer made again, doctor after a run).
            if (_classes.TryGetValue(Key(transA, transB, m, n, k, accumulate), out var known)) return _log[known.LogIndex];
        }
        var a = new float[(long)m * k];
        var b = new float[(long)k * n];
        for (int i = 0; i < a.Length; i++) a[i] = ((i * 7919) % 1000) * 1e-3f - 0.5f;
        for (int i = 0; i < b.Length; i++) b[i] = ((i * 104729) % 1000) * 1e-3f - 0.5f;
        var e = Lookup(transA, transB, m, n, k, accumulate ? 1f : 0f, a, transA ? m : k, b, transB ? k : n);
        lock (_gate) return _log[e.LogIndex];
    }

    /// <summary>
    /// Decides every class of <paramref name="products"/> not decided yet, now, one after the other
    /// (timing each on scratch operands of its shape), so that no timing falls inside the work that
    /// later issues them; returns the decisions in the order given, one per product large enough to
    /// be timed (the others take the managed kernel and are left out).
    /// </summary>
    public IReadOnlyList<GemmShapeChoice> Prepare(IEnumerable<GemmProduct> products)
    {
        ArgumentNullException.ThrowIfNull(products);
        var list = new List<GemmShapeChoice>();
        foreach (var p in products)
        {
            if (p.M <= 0 || p.N <= 0 || p.K <= 0) throw new ArgumentException($"product {p.Name} has a dimension that is not positive");
            if ((long)p.M * p.N * p.K < MinTimedWork) continue;
            list.Add(Decide(p.TransA, p.TransB, p.M, p.N, p.K, p.Accumulate) with { Shape = p.Name });
        }
        return list;
    }

    /// <inheritdoc />
    public void Sgemm(bool transA, bool transB, int m, int n, int k,
        float alpha, ReadOnlySpan<float> a, int lda,
        ReadOnlySpan<float> b, int ldb,
        float beta, Span<float> c, int ldc)
    {
        GemmArgs.Validate(transA, transB, m, n, k, a.Length, lda, b.Length, ldb, c.Length, ldc);
        if (m == 0 || n == 0 || k == 0 || alpha == 0f || Threading.WorkerPool.InsideLoop || (long)m * n * k < MinTimedWork)
        {
            _managed.Sgemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
            return;
        }
        var e = Lookup(transA, transB, m, n, k, beta, a, lda, b, ldb);
        (e.UseOpenBlas ? _openBlas : _managed).Sgemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    }

    private Entry Lookup(bool transA, bool transB, int m, int n, int k, float beta, ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb)
    {
        var key = Key(transA, transB, m, n, k, beta != 0f);
        lock (_gate)
        {
            if (_classes.TryGetValue(key, out var known)) return known;
            string trans = $"{(transA ? 'T' : 'N')}{(transB ? 'T' : 'N')}";
            GemmShapeChoice choice;
            string name = key.ToString();
            if ((long)m * n * k < MinTimedWork)
                choice = new(trans, m, n, k, beta != 0f, _managed.Name, null, null, "too small to time");
            else if (_decisions is not null && _decisions.TryGet(name, out var recorded))
                choice = recorded with { Reason = RecordedReason };
            else if (_timed >= MaxTimedClasses)
                choice = new(trans, m, n, k, beta != 0f, _managed.Name, null, null, $"more than {MaxTimedClasses} shape classes");
            else
            {
                _timed++;
                var c = new float[(long)m * n];
                var wm = new double[Trials];
                var wo = new double[Trials];
                var um = new double[Trials];
                var uo = new double[Trials];
                for (int t = 0; t <= Trials; t++)
                {
                    // Alternate, so a burst of load from elsewhere does not land on one backend only.
                    var (xm, ym) = Time(_managed, transA, transB, m, n, k, a, lda, b, ldb, beta, c);
                    var (xo, yo) = Time(_openBlas, transA, transB, m, n, k, a, lda, b, ldb, beta, c);
                    if (t == 0) continue; // warm-up: packing buffers, OpenBLAS's threads, caches
                    (wm[t - 1], wo[t - 1], um[t - 1], uo[t - 1]) = (xm, xo, ym, yo);
                }
                // Medians: one run that lost its core to another process (or won it back) decides nothing.
                double tm = Statistics.Median(wm), to = Statistics.Median(wo), cm = Statistics.Median(um), co = Statistics.Median(uo);
                // NaN CPU times (no clock) compare false: the wall-time test alone decides.
                bool ob = to * (1 + Margin) < tm && !(co * (1 + Margin) >= cm);
                choice = new(trans, m, n, k, beta != 0f, ob ? _openBlas.Name : _managed.Name,
                    Math.Round(tm * 1e3, 3), Math.Round(to * 1e3, 3), "measured",
                    double.IsNaN(cm) ? null : Math.Round(cm * 1e3, 3), double.IsNaN(co) ? null : Math.Round(co * 1e3, 3));
                // Another process may have recorded the class while this one timed it: the first record holds.
                if (_decisions is not null && _decisions.Record(name, choice) is var held && !ReferenceEquals(held, choice))
                    choice = held with { Reason = RecordedReason };
            }
            var entry = new Entry(choice.Backend != _managed.Name, _log.Count);
            _log.Add(choice);
            _classes[key] = entry;
            return entry;
        }
    }

    // Wall seconds and process CPU seconds of one call.
    private static (double Wall, double Cpu) Time(IGemm g, bool transA, bool transB, int m, int n, int k,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, float beta, float[] c)
    {
        double c0 = CpuClock.ProcessSeconds();
        long t0 = Stopwatch.GetTimestamp();
        g.Sgemm(transA, transB, m, n, k, 1f, a, lda, b, ldb, beta, c, n);
        double wall = Stopwatch.GetElapsedTime(t0).TotalSeconds;
        return (wall, CpuClock.ProcessSeconds() - c0);
    }

    private static int Class(int x) => (int)Math.Min(BitOperations.RoundUpToPowerOf2((uint)x), int.MaxValue);

    // A not transposed: m rows of activations times a [k, n] (or [n, k]) weight; A transposed (dW = dYᵀ·X): k rows.
    private static ShapeClass Key(bool transA, bool transB, int m, int n, int k, bool accumulate) => transA
        ? new ShapeClass(transA, transB, accumulate, Class(m), Class(n), Math.Min(Class(k), LargeRows))
        : new ShapeClass(transA, transB, accumulate, Class(n), Class(k), Math.Min(Class(m), LargeRows));

    /// <summary>The reason of a decision taken from <see cref="Decisions"/> rather than timed by this process.</summary>
    public const string RecordedReason = "measured earlier on this machine";

    private readonly record struct ShapeClass(bool TransA, bool TransB, bool Accumulate, int Weight1, int Weight2, int Rows)
    {
        // The class's name in the decision file, e.g. "NT 1024x64 rows 512" ("+" after the transposes: C accumulated).
        public override string ToString() =>
            $"{(TransA ? 'T' : 'N')}{(TransB ? 'T' : 'N')}{(Accumulate ? "+" : "")} {Weight1}x{Weight2} rows {Rows}";
    }

    private readonly record struct Entry(bool UseOpenBlas, int LogIndex);
}
