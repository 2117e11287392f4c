using Dlm.Training.FromScratch;

namespace Dlm.Training.Tests.FromScratch;

/// <summary>Learning is real: a tiny niels model pretrained on a Brown slice lowers its validation loss.</summary>
public class ScratchLearningTests
{
    [Fact]
    public void Pretraining_150_steps_lowers_the_val_loss_by_at_least_1_5_nats()
    {
        var run = TinyModels.TempDir();
        var s = ScratchFixture.Load(run, "pretrain.max_steps=150", "pretrain.eval_every=50", "pretrain.eval_batches=4", "pretrain.save_every=1000");
        var r = ScratchStage.Run(new StageRequest { Settings = s, Stage = StageKind.Pretrain, Plot = false });

        Assert.Equal(StageOutcome.Completed, r.Outcome);
        Assert.Equal(150, r.Steps);
        // Random weights predict about uniformly: ln(8192) = 9.01 nats per token.
        Assert.InRange(r.InitialValLoss!.Value, Math.Log(8192) - 0.3, Math.Log(8192) + 0.3);
        Assert.True(r.FinalValLoss <= r.InitialValLoss - 1.5, $"val loss {ScratchFixture.F(r.InitialValLoss)} -> {ScratchFixture.F(r.FinalValLoss)}");
        var val = ScratchFixture.Column(r.Dir, "test/nll");
        Assert.Equal([0, 50, 100, 150], val.Keys);
        Assert.True(val[50] > val[150], "the val loss keeps falling");
    }
}
