namespace Dlm.Training.Client;

/// <summary>
/// The settings of one optimizer step (Tinker <c>AdamParams</c>, shared/REFERENCE.md R3). The
/// defaults are the service's: learning rate 1e-4, betas (0.9, 0.95), eps 1e-12, no weight decay,
/// no clipping.
/// </summary>
public sealed record AdamParams
{
    /// <summary>Step size.</summary>
    public double LearningRate { get; init; } = 1e-4;

    /// <summary>Decay of the first moment.</summary>
    public double Beta1 { get; init; } = 0.9;

    /// <summary>Decay of the second moment.</summary>
    public double Beta2 { get; init; } = 0.95;

    /// <summary>Added to the root of the second moment.</summary>
    public double Eps { get; init; } = 1e-12;

    /// <summary>Decoupled weight decay (on matrices, not norms, biases or embeddings); 0 disables it.</summary>
    public double WeightDecay { get; init; }

    /// <summary>Global gradient-norm clip; 0 disables it.</summary>
    public double GradClipNorm { get; init; }
}
