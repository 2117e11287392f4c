using Dlm.Chat;
using Dlm.Tokenizers;

namespace Dlm.Training.Client;

/// <summary>
/// A Tinker-shaped training client (shared/REFERENCE.md R3, "The training service shape"):
/// recipes build <see cref="Datum"/>s and call these; a local engine or a remote service stands
/// behind it. Gradients of successive <see cref="ForwardBackwardAsync"/> calls add up until
/// <see cref="OptimStepAsync"/> applies and clears them.
/// </summary>
public interface ITrainingClient
{
    /// <summary>Forward and backward pass; <paramref name="lossFn"/> must be <c>cross_entropy</c>.</summary>
    Task<ForwardBackwardOutput> ForwardBackwardAsync(IReadOnlyList<Datum> data, string lossFn, CancellationToken ct = default);

    /// <summary>Forward pass only (no dropout, no gradients).</summary>
    Task<ForwardBackwardOutput> ForwardAsync(IReadOnlyList<Datum> data, string lossFn, CancellationToken ct = default);

    /// <summary>Applies the accumulated gradients with AdamW and clears them.</summary>
    Task<OptimStepOutput> OptimStepAsync(AdamParams adamParams, CancellationToken ct = default);

    /// <summary>Saves weights, optimizer moments, step and RNG under <paramref name="name"/>; returns the state path.</summary>
    Task<string> SaveStateAsync(string name, CancellationToken ct = default);

    /// <summary>Restores the weights from a state path, and the optimizer too when <paramref name="withOptimizer"/>.</summary>
    Task LoadStateAsync(string path, bool withOptimizer, CancellationToken ct = default);

    /// <summary>Saves what a sampling client loads (a Hugging Face folder, or a PEFT adapter folder under LoRA); returns its path.</summary>
    Task<string> SaveWeightsForSamplerAsync(string name, CancellationToken ct = default);

    /// <summary>The tokenizer of the model.</summary>
    ITokenizer GetTokenizer();

    /// <summary>What is being trained.</summary>
    TrainingInfo GetInfo();
}
