using Dlm.Numerics.Gemm;
using Dlm.Numerics.Threading;
using Dlm.TestSupport;

namespace Dlm.Numerics.Tests;

/// <summary>
/// The per-shape choice against stand-in backends whose speed is known: one far slower than the
/// managed kernel (it sleeps), one far faster (it does nothing). Both count their calls.
/// </summary>
public sealed class PerShapeGemmTests : IDisposable
{
    private readonly WorkerPool _pool = new(2);

    public void Dispose() => _pool.Dispose();

    private struct LoopBody(PerShapeGemm g, float[] a, float[] b, float[][] c) : IParallelBody
    {
        public readonly void Invoke(int index) => g.Sgemm(false, false, 512, 512, 256, 1f, a, 256, b, 512, 0f, c[index], 512);
    }

    [Fact]
    public void A_slower_backend_is_timed_once_per_class_and_not_chosen()
    {
        var managed = new ManagedGemm(_pool);
        var slow = new StandInGemm(managed, sleepMs: 30, compute: true);
        var g = new PerShapeGemm(managed, slow);
        GemmCheck.Product(g, 512, 512, 256, true, false); // 2^26 multiply-adds: timed
        int afterFirst = slow.Calls;
        Assert.Equal(PerShapeGemm.Trials + 1, afterFirst); // warm-up and trials, then the call itself on the managed kernel
        GemmCheck.Product(g, 500, 300, 200, true, false, seed: 1); // same class (512 × 512 × 256): no new timing
        Assert.Equal(afterFirst, slow.Calls);
        var choice = Assert.Single(g.Choices);
        Assert.Equal(("managed", "TN", "measured"), (choice.Backend, choice.Trans, choice.Reason));
        Assert.True(choice.OpenblasMs >= 30 && choice.ManagedMs < choice.OpenblasMs);
        Assert.True(choice.ManagedOverOpenblas > 1);
    }

    [Fact]
    public void A_faster_backend_is_chosen_and_then_used()
    {
        var managed = new ManagedGemm(_pool);
        var fast = new StandInGemm(managed, sleepMs: 0, compute: false);
        var g = new PerShapeGemm(managed, fast);
        var a = new float[512 * 512];
        var b = new float[512 * 512];
        var c = new float[512 * 512];
        g.Sgemm(false, true, 512, 512, 512, 1f, a, 512, b, 512, 0f, c, 512);
        Assert.Equal("openblas", Assert.Single(g.Choices).Backend);
        int calls = fast.Calls;
        g.Sgemm(false, true, 500, 510, 400, 1f, a, 512, b, 512, 0f, c, 512);
        Assert.Equal(calls + 1, fast.Calls);
        // Another class (no transposes) is a decision of its own.
        g.Sgemm(false, false, 512, 512, 512, 1f, a, 512, b, 512, 0f, c, 512);
        Assert.Equal(2, g.Choices.Count);
    }

    [Fact]
    public void Small_products_and_calls_inside_a_parallel_loop_take_the_managed_kernel()
    {
        var managed = new ManagedGemm(_pool);
        var fast = new StandInGemm(managed, sleepMs: 0, compute: false);
        var g = new PerShapeGemm(managed, fast);
        GemmCheck.Product(g, 200, 300, 400, false, true); // below MinTimedWork
        Assert.Empty(g.Choices);

        // Make the 512 × 512 × 256 class an OpenBLAS one, then call it from loop bodies: the managed kernel must answer, correctly.
        var rng = new Random(4);
        var a = GemmCheck.Rand(rng, 512 * 256);
        var b = GemmCheck.Rand(rng, 256 * 512);
        var warm = new float[512 * 512];
        g.Sgemm(false, false, 512, 512, 256, 1f, a, 256, b, 512, 0f, warm, 512);
        Assert.Equal("openblas", Assert.Single(g.Choices).Backend);
        int calls = fast.Calls;
        var outs = new float[4][];
        for (int i = 0; i < outs.Length; i++) outs[i] = new float[512 * 512];
        using var outer = new WorkerPool(2);
        outer.For(outs.Length, new LoopBody(g, a, b, outs));
        Assert.Equal(calls, fast.Calls);
        var expected = new float[512 * 512];
        managed.Sgemm(false, false, 512, 512, 256, 1f, a, 256, b, 512, 0f, expected, 512);
        Assert.All(outs, o => Assert.Equal(expected, o));
    }

    [Fact]
    public void Decide_reports_the_class_choice_for_a_named_shape()
    {
        var managed = new ManagedGemm(_pool);
        var g = new PerShapeGemm(managed, new StandInGemm(managed, sleepMs: 20, compute: false));
        var c = g.Decide(true, false, 512, 512, 256, accumulate: true);
        Assert.Equal(("TN", 512, 512, 256, true, "managed", "measured"), (c.Trans, c.M, c.N, c.K, c.Accumulate, c.Backend, c.Reason));
        Assert.Same(c, g.Decide(true, false, 500, 400, 200, accumulate: true)); // same class, same decision
        Assert.Equal("too small to time", g.Decide(false, false, 10, 10, 10, accumulate: false).Reason);
    }

    [Fact]
    public void Rows_beyond_LargeRows_share_the_class_of_one_product_and_fewer_rows_have_their_own()
    {
        var managed = new ManagedGemm(_pool);
        var g = new PerShapeGemm(managed, new StandInGemm(managed, sleepMs: 0, compute: false));
        // Y = X·Wᵀ on 2048 rows and on 1024 (the masked step's last block): one decision.
        var full = g.Decide(false, true, 2048, 384, 384, accumulate: false);
        Assert.Same(full, g.Decide(false, true, 1024, 384, 384, accumulate: false));
        Assert.Same(full, g.Decide(false, true, 600, 384, 384, accumulate: false));
        // dW += dYᵀ·X: the rows are k.
        var dw = g.Decide(true, false, 384, 384, 2048, accumulate: true);
        Assert.Same(dw, g.Decide(true, false, 384, 384, 1024, accumulate: true));
        Assert.Equal(2, g.Choices.Count);
        // 256 rows is a class of its own; so is another weight shape on as many rows.
        Assert.NotSame(full, g.Decide(false, true, 256, 2048, 384, accumulate: false));
        Assert.NotSame(full, g.Decide(false, true, 2048, 1152, 384, accumulate: false));
        Assert.Equal(4, g.Choices.Count);
    }

    [Fact]
    public void Prepare_decides_every_class_up_front_so_later_calls_time_nothing()
    {
        var managed = new ManagedGemm(_pool);
        var stand = new StandInGemm(managed, sleepMs: 0, compute: true);
        var g = new PerShapeGemm(managed, stand);
        var products = new GemmProduct[]
        {
            new("fwd", false, true, 1024, 512, 256, false),
            new("dx", false, false, 1024, 256, 512, false),
            new("dw", true, false, 512, 256, 1024, true),
            new("tiny", false, false, 16, 16, 16, false),
        };
        var chosen = g.Prepare(products);
        Assert.Equal(["fwd", "dx", "dw"], chosen.Select(c => c.Shape)); // the tiny one is not timed
        Assert.All(chosen, c => Assert.Equal("measured", c.Reason));
        int calls = stand.Calls;
        Assert.Equal(3 * (PerShapeGemm.Trials + 1), calls);
        // The same products on half the rows, then on all: no timing, each call on its class's backend, results right.
        foreach (var rows in new[] { 512, 1024 })
        {
            int before = stand.Calls;
            GemmCheck.Product(g, rows, 512, 256, false, true, beta: 0f);
            GemmCheck.Product(g, 512, 256, rows, true, false, beta: 1f, seed: 2);
            int expected = new[] { g.BackendFor(false, true, rows, 512, 256, false), g.BackendFor(true, false, 512, 256, rows, true) }
                .Count(b => b == "openblas");
            Assert.Equal(before + expected, stand.Calls);
        }
        Assert.Equal(3, g.Choices.Count);
        // Preparing again (another trainer on the same shapes) times nothing and gives the same decisions.
        int settled = stand.Calls;
        Assert.Equal(chosen.Select(c => c.Backend), g.Prepare(products).Select(c => c.Backend));
        Assert.Equal(settled, stand.Calls);
    }
}
