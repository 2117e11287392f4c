namespace Dlm.Chat;

/// <summary>
/// One training example (tinker <c>Datum</c>): what the model reads and the inputs of its loss
/// function. For <c>cross_entropy</c> those are <c>target_tokens</c> (int64) and <c>weights</c> (float32).
/// </summary>
public sealed class Datum
{
    /// <summary>Key of the next-token targets in <see cref="LossFnInputs"/>.</summary>
    public const string TargetTokensKey = "target_tokens";

    /// <summary>Key of the per-token loss weights in <see cref="LossFnInputs"/>.</summary>
    public const string WeightsKey = "weights";

    /// <summary>A datum of an input and named loss inputs.</summary>
    public Datum(ModelInput modelInput, IReadOnlyDictionary<string, TensorData> lossFnInputs)
    {
        ModelInput = modelInput ?? throw new ArgumentNullException(nameof(modelInput));
        LossFnInputs = lossFnInputs ?? throw new ArgumentNullException(nameof(lossFnInputs));
    }

    /// <summary>The tokens the model reads.</summary>
    public ModelInput ModelInput { get; }

    /// <summary>The loss function inputs by name.</summary>
    public IReadOnlyDictionary<string, TensorData> LossFnInputs { get; }

    /// <summary>The <c>target_tokens</c> input (the token each position must predict).</summary>
    public ReadOnlySpan<long> TargetTokens => LossFnInputs[TargetTokensKey].AsInt64();

    /// <summary>The <c>weights</c> input (loss weight of each target).</summary>
    public ReadOnlySpan<float> Weights => LossFnInputs[WeightsKey].AsFloat32();
}
