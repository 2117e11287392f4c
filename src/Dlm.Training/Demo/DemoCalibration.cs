using System.Diagnostics;
using Dlm.Models.Config;
using Dlm.Models.Optim;
using Dlm.Models.Training;
using Dlm.Models.Transformer;

namespace Dlm.Training.Demo;

/// <summary>
/// How many steps fit the demo's minutes on this machine: the learning-rate schedule (warmup, then
/// cosine to <c>min_lr</c>) runs over <c>max_steps</c>, so a stage bounded by time alone would stop
/// early in its schedule. The demo times a few training steps of the model it is about to train
/// (same shape, batch and window; random tokens) and sets <c>max_steps</c> so that the schedule ends
/// with the budget; the time budget still stops a stage whose steps turn out slower.
/// </summary>
public static class DemoCalibration
{
    /// <summary>Mean wall seconds of one training step (forward, backward, AdamW) after one untimed step.</summary>
    public static double SecondsPerStep(ModelConfig config, int batch, int seq, int timedSteps = 2, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(config);
        int n = batch * seq;
        var model = new TransformerModel(config, batch, seq, null, TrainingGemm.Default);
        model.InitializeWeights(0);
        var trainer = new ModelTrainer(model, AdamWOptions.NielsGptPretrain, new Constant(3e-4f), 1f);
        var rng = new Random(0);
        var tokens = new int[n];
        var targets = new int[n];
        var weights = new float[n];
        weights.AsSpan().Fill(1f);
        for (int i = 0; i < n; i++)
        {
            tokens[i] = rng.Next(config.VocabSize);
            targets[i] = rng.Next(config.VocabSize);
        }
        trainer.TrainStep(tokens, targets, weights, batch, seq);
        var clock = Stopwatch.StartNew();
        for (int s = 0; s < timedSteps; s++)
        {
            ct.ThrowIfCancellationRequested();
            trainer.TrainStep(tokens, targets, weights, batch, seq);
        }
        return clock.Elapsed.TotalSeconds / timedSteps;
    }

    /// <summary>The steps of <paramref name="minutes"/> at <paramref name="secondsPerStep"/>, less 10% for validation and checkpoints (at least 10).</summary>
    public static int StepsFor(double minutes, double secondsPerStep) =>
        (int)Math.Clamp(minutes * 60 * 0.9 / Math.Max(secondsPerStep, 1e-6), 10, 1_000_000);

    private sealed class Constant(float lr) : ILearningRateSchedule
    {
        public float At(int step) => lr;
    }
}
