using Dlm.Training.FromScratch;

namespace Dlm.Training.Tests.FromScratch;

/// <summary>A cancelled stage stops at a step boundary, saves latest, and a rerun ends bit-identical to an uninterrupted run.</summary>
public class ScratchResumeTests
{
    [Theory]
    [InlineData(StageKind.Pretrain, 17)]
    [InlineData(StageKind.Sft, 7)]
    public void Cancel_then_rerun_ends_bit_identical_to_a_straight_run(StageKind kind, int stopAt)
    {
        var dir = TinyModels.TempDir();
        string? init = null;
        if (kind == StageKind.Sft)
        {
            var pre = ScratchStage.Run(new StageRequest { Settings = ScratchFixture.Load(Path.Combine(dir, "pre"), "pretrain.max_steps=10"), Stage = StageKind.Pretrain, Plot = false });
            init = pre.BestModelPath;
        }
        StageRequest Request(string run) => new() { Settings = ScratchFixture.Load(run, "model.dropout=0.1"), Stage = kind, Init = init, Plot = false };

        var straight = ScratchStage.Run(Request(Path.Combine(dir, "straight")));
        Assert.Equal(StageOutcome.Completed, straight.Outcome);

        using var cts = new CancellationTokenSource();
        var progress = new ScratchPipelineTests.SyncProgress(p => { if (p.Kind == ScratchProgressKind.Step && p.Step == stopAt) cts.Cancel(); });
        var stopped = ScratchStage.Run(Request(Path.Combine(dir, "resumed")), progress, cts.Token);
        Assert.Equal(StageOutcome.Stopped, stopped.Outcome);
        Assert.Equal(stopAt, stopped.Steps);
        Assert.False(File.Exists(Path.Combine(stopped.Dir, StageStatus.FileName)));
        Assert.Equal(stopAt, TrainerState.Read(stopped.LatestModelPath!).Step);

        var resumed = ScratchStage.Run(Request(Path.Combine(dir, "resumed")));
        Assert.Equal(StageOutcome.Completed, resumed.Outcome);
        Assert.Equal(stopAt, resumed.ResumedFromStep);
        Assert.Equal(straight.Steps - stopAt, resumed.StepsRun);
        foreach (var f in new[] { Path.Combine("latest", "model.safetensors"), Path.Combine("latest", "state.safetensors"), Path.Combine("best", "model.safetensors") })
            Assert.True(ScratchFixture.SameBytes(Path.Combine(straight.Dir, "checkpoints", f), Path.Combine(resumed.Dir, "checkpoints", f)), $"{f} differs");
        Assert.Equal(ScratchFixture.Metrics(straight.Dir), ScratchFixture.Metrics(resumed.Dir));
        Assert.Equal(straight.BestValLoss, resumed.BestValLoss);
    }
}
