using Dlm.Chat;

namespace Dlm.Training.Client;

/// <summary>
/// What a forward (or forward-backward) pass returns (Tinker <c>ForwardBackwardOutput</c>): per
/// datum the loss function's outputs (<c>logprobs</c>, one per target), and metrics over the batch.
/// </summary>
/// <param name="LossFnOutputs">Per datum, in input order: output name → tensor (<c>logprobs</c>).</param>
/// <param name="Metrics">Batch metrics; <c>loss:sum</c> = −Σ w·logp.</param>
public sealed record ForwardBackwardOutput(IReadOnlyList<IReadOnlyDictionary<string, TensorData>> LossFnOutputs, IReadOnlyDictionary<string, double> Metrics)
{
    /// <summary>Key of the per-target log-probabilities.</summary>
    public const string LogprobsKey = "logprobs";

    /// <summary>Key of the summed loss in <see cref="Metrics"/>.</summary>
    public const string LossSumKey = "loss:sum";

    /// <summary>The log-probabilities of datum <paramref name="index"/>.</summary>
    public ReadOnlySpan<float> Logprobs(int index) => LossFnOutputs[index][LogprobsKey].AsFloat32();
}

/// <summary>What an optimizer step reports.</summary>
/// <param name="Metrics"><c>grad_norm</c> (before clipping), <c>learning_rate</c>, <c>skipped</c> (1 when the norm was not finite and nothing changed).</param>
public sealed record OptimStepOutput(IReadOnlyDictionary<string, double> Metrics);
