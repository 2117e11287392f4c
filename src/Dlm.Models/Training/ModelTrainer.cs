using Dlm.Models.Optim;
using Dlm.Models.Transformer;
using Dlm.Numerics.Threading;
using System.Numerics.Tensors;

namespace Dlm.Models.Training;

/// <summary>Outcome of one optimizer step.</summary>
/// <param name="Loss">Weighted mean loss over the step's micro-batches.</param>
/// <param name="GradNorm">Global gradient norm before clipping.</param>
/// <param name="LearningRate">Learning rate used.</param>
/// <param name="Skipped">True when the gradient norm was not finite and no update was applied.</param>
public readonly record struct StepResult(double Loss, float GradNorm, float LearningRate, bool Skipped);

/// <summary>
/// Trains the trainable arena of a <see cref="TransformerModel"/> with AdamW and global-norm
/// clipping: forward, backward (loss = weighted mean over all micro-batches of the step), clip,
/// update. The moments are flat arenas beside the parameters; nothing is allocated per step.
/// </summary>
public sealed class ModelTrainer
{
    private readonly ParamRange[] _ranges;
    private readonly double[] _normParts;
    private Phase _phase;
    private int _adamStep;
    private float _lr, _clipCoefficient;

    private enum Phase { SumOfSquares, Scale, AdamW }

    // Parts of the flat gradient arena per pool loop; a fixed count so the norm's summation order
    // (and so the result) does not depend on which thread runs which part.
    private const int Parts = 16;

    private readonly struct TrainerLoop(ModelTrainer trainer) : IParallelBody
    {
        public void Invoke(int index) => trainer.RunPart(index);
    }

    /// <summary>Creates a trainer with zero moments at step 0.</summary>
    public ModelTrainer(TransformerModel model, AdamWOptions options, ILearningRateSchedule schedule, float clipNorm = 1f)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(schedule);
        options.Validate();
        Model = model;
        Options = options;
        Schedule = schedule;
        ClipNorm = clipNorm;
        _ranges = model.TrainableTensors.Select(t => new ParamRange(t.Name, t.Offset, t.Length, t.Decay)).ToArray();
        M = new float[model.TrainableWeights.Length];
        V = new float[model.TrainableWeights.Length];
        _normParts = new double[Parts];
        // Under the per-shape GEMM every product of a step gets its backend now, not in the middle of a step.
        GemmChoices = TrainingGemm.Prepare(model);
    }

    /// <summary>The backends the per-shape GEMM chose, before the first step, for the products of this trainer's steps (empty under any other GEMM).</summary>
    public IReadOnlyList<Dlm.Numerics.Gemm.GemmShapeChoice> GemmChoices { get; }

    /// <summary>The model being trained.</summary>
    public TransformerModel Model { get; }

    /// <summary>AdamW betas, epsilon and weight decay.</summary>
    public AdamWOptions Options { get; }

    /// <summary>Learning rate per (0-based) step.</summary>
    public ILearningRateSchedule Schedule { get; }

    /// <summary>Global-norm clip (≤ 0 disables clipping).</summary>
    public float ClipNorm { get; }

    /// <summary>Optimizer steps taken so far.</summary>
    public int Step { get; set; }

    /// <summary>AdamW first moments (same layout as the trainable arena).</summary>
    public float[] M { get; }

    /// <summary>AdamW second moments.</summary>
    public float[] V { get; }

    /// <summary>The trainable tensors as the optimizer sees them.</summary>
    public ReadOnlySpan<ParamRange> Ranges => _ranges;

    /// <summary>One optimizer step on one batch ([B, T] tokens, targets, weights).</summary>
    public StepResult TrainStep(ReadOnlySpan<int> tokens, ReadOnlySpan<int> targets, ReadOnlySpan<float> weights, int batch, int seq)
    {
        Model.ZeroGradients();
        var loss = Model.Forward(tokens, targets, weights, batch, seq, training: true);
        if (loss.WeightSum > 0) Model.Backward((float)(1.0 / loss.WeightSum));
        return ApplyUpdate(loss.Mean);
    }

    /// <summary>
    /// Clips the accumulated gradients and applies AdamW. For gradient accumulation run
    /// <c>Model.Forward</c> and <c>Model.Backward(scale)</c> per micro-batch first, with the scales summing the
    /// objective you want (for a weighted mean, 1 / total weight of the step).
    /// </summary>
    public StepResult ApplyUpdate(double loss)
    {
        // Same arithmetic as GradientClipping.ClipByGlobalNorm and AdamW.Step, run in parts on the model's pool.
        RunParts(Phase.SumOfSquares);
        double sum = 0;
        foreach (var part in _normParts) sum += part;
        float norm = (float)Math.Sqrt(sum);
        if (ClipNorm > 0)
        {
            _clipCoefficient = GradientClipping.ClipCoefficient(norm, ClipNorm);
            if (_clipCoefficient < 1f) RunParts(Phase.Scale);
        }
        float lr = Schedule.At(Step);
        if (!float.IsFinite(norm)) return new StepResult(loss, norm, lr, Skipped: true);
        Step++;
        _adamStep = Step;
        _lr = lr;
        RunParts(Phase.AdamW);
        return new StepResult(loss, norm, lr, Skipped: false);
    }

    private void RunParts(Phase phase)
    {
        _phase = phase;
        Model.Pool.For(Parts, new TrainerLoop(this));
    }

    private void RunPart(int k)
    {
        var grads = Model.TrainableGradients;
        int start = (int)((long)grads.Length * k / Parts), end = (int)((long)grads.Length * (k + 1) / Parts);
        switch (_phase)
        {
            case Phase.SumOfSquares:
                _normParts[k] = GradientClipping.SumOfSquares(grads[start..end]);
                break;
            case Phase.Scale:
                TensorPrimitives.Multiply(grads[start..end], _clipCoefficient, grads[start..end]);
                break;
            case Phase.AdamW:
                AdamW.Step(Model.TrainableWeights, grads, M, V, _ranges, _adamStep, _lr, Options, k, Parts);
                break;
        }
    }
}
