using Dlm.Numerics.Gemm;
using Dlm.Numerics.Threading;
using Dlm.TestSupport;

namespace Dlm.Numerics.Tests;

/// <summary>
/// The per-machine record of per-shape decisions: a second process (here a second instance) takes the
/// first one's decisions without timing anything, even when its own timing would have gone the other
/// way, so two runs of one training compute the same bits; a race keeps the first record; a damaged
/// file is timed again.
/// </summary>
public sealed class GemmDecisionFileTests : IDisposable
{
    private readonly WorkerPool _pool = new(2);
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "dlm-gemm-decisions-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        _pool.Dispose();
        if (Directory.Exists(_dir)) Directory.Delete(_dir, recursive: true);
    }

    private GemmDecisionFile File() => new(Path.Combine(_dir, "decisions.json"), "test machine");

    [Fact]
    public void A_later_instance_takes_the_recorded_decision_without_timing_even_if_it_would_decide_otherwise()
    {
        var managed = new ManagedGemm(_pool);
        var first = new PerShapeGemm(managed, new StandInGemm(managed, 0, compute: false), File()); // OpenBLAS stand-in does nothing: it wins
        var chosen = first.Decide(false, true, 1024, 512, 256, accumulate: false);
        Assert.Equal(("openblas", "measured"), (chosen.Backend, chosen.Reason));
        Assert.True(System.IO.File.Exists(first.Decisions!.Path));
        Assert.Contains("\"NT 512x256 rows 512\"", System.IO.File.ReadAllText(first.Decisions.Path), StringComparison.Ordinal);

        var slow = new StandInGemm(managed, 30, compute: false); // timed, this one would lose
        var second = new PerShapeGemm(managed, slow, File());
        var taken = second.Decide(false, true, 700, 500, 250, accumulate: false); // same class
        Assert.Equal(0, slow.Calls);
        Assert.Equal(("openblas", PerShapeGemm.RecordedReason, chosen.ManagedMs, chosen.OpenblasMs),
            (taken.Backend, taken.Reason, taken.ManagedMs, taken.OpenblasMs));
        Assert.Null(second.Decisions!.Problem);

        // A class nobody recorded is timed and added beside the first.
        var other = second.Decide(true, false, 512, 256, 1024, accumulate: true);
        Assert.Equal(("managed", "measured"), (other.Backend, other.Reason));
        Assert.True(new PerShapeGemm(managed, new StandInGemm(managed, 0, compute: false), File()).Decisions!.TryGet("TN+ 512x256 rows 512", out var kept));
        Assert.Equal("managed", kept.Backend);
    }

    [Fact]
    public void When_two_instances_decide_one_class_at_once_the_first_record_holds_for_both()
    {
        var a = File();
        var b = File();
        Assert.False(b.TryGet("NN 64x64 rows 64", out _)); // b has read the file before a records
        var mine = new GemmShapeChoice("NN", 64, 64, 64, false, "openblas", 2, 1, "measured");
        var theirs = new GemmShapeChoice("NN", 64, 64, 64, false, "managed", 1, 2, "measured");
        Assert.Same(mine, a.Record("NN 64x64 rows 64", mine));
        var held = b.Record("NN 64x64 rows 64", theirs);
        Assert.Equal("openblas", held.Backend);
    }

    [Fact]
    public void A_damaged_file_is_timed_again_and_rewritten()
    {
        Directory.CreateDirectory(_dir);
        System.IO.File.WriteAllText(Path.Combine(_dir, "decisions.json"), "{ not json");
        var managed = new ManagedGemm(_pool);
        var stand = new StandInGemm(managed, 0, compute: false);
        var g = new PerShapeGemm(managed, stand, File());
        Assert.Equal("measured", g.Decide(false, true, 1024, 512, 256, accumulate: false).Reason);
        Assert.True(stand.Calls > 0);
        Assert.Contains("timed again", g.Decisions!.Problem, StringComparison.Ordinal);
        Assert.True(File().TryGet("NT 512x256 rows 512", out _));
    }

    [Fact]
    public void The_machine_file_lives_under_DLM_HOME_and_names_what_it_holds_for()
    {
        var f = GemmDecisionFile.ForThisMachine(2, "libopenblas.so.0");
        Assert.StartsWith(Path.Combine(Dlm.Core.DlmPaths.Home, "cache", "gemm", "decisions-"), f.Path, StringComparison.Ordinal);
        Assert.Contains("2 threads", f.Machine, StringComparison.Ordinal);
        Assert.NotEqual(f.Path, GemmDecisionFile.ForThisMachine(1, "libopenblas.so.0").Path);
    }
}
