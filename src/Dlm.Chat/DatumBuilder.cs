namespace Dlm.Chat;

/// <summary>
/// Turns a rendered supervised example into a <see cref="Datum"/> (tinker-cookbook
/// <c>datum_from_model_input_weights</c>, REFERENCE.md R3).
/// </summary>
public static class DatumBuilder
{
    /// <summary>
    /// Cuts the example to <paramref name="maxLength"/> tokens (dropping from the end), then shifts
    /// by one: the model reads every token but the last, the targets are the tokens from index 1,
    /// and each target keeps the weight of its own position (<c>weights[1..]</c>).
    /// </summary>
    /// <param name="modelInput">The rendered tokens.</param>
    /// <param name="weights">One weight per token of <paramref name="modelInput"/>.</param>
    /// <param name="maxLength">The longest example kept, or null for no limit.</param>
    public static Datum FromModelInputWeights(ModelInput modelInput, ReadOnlySpan<float> weights, int? maxLength = null)
    {
        ArgumentNullException.ThrowIfNull(modelInput);
        if (weights.Length != modelInput.Length)
            throw new ArgumentException($"{weights.Length} weights for {modelInput.Length} tokens", nameof(weights));
        if (maxLength is < 2)
            throw new ArgumentOutOfRangeException(nameof(maxLength), maxLength, "max_length must be at least 2");
        if (modelInput.Length < 2)
            throw new ArgumentException("an example needs at least 2 tokens to predict one", nameof(modelInput));

        int length = maxLength is { } max && modelInput.Length > max ? max : modelInput.Length;
        var tokens = modelInput.ToInts().AsSpan(0, length);
        var input = modelInput.Take(length - 1);
        var targets = TensorData.FromInt64(tokens[1..]);
        var targetWeights = TensorData.FromFloat32(weights[1..length]);
        return new Datum(input, new Dictionary<string, TensorData>
        {
            [Datum.TargetTokensKey] = targets,
            [Datum.WeightsKey] = targetWeights,
        });
    }

    /// <summary>Renders <paramref name="messages"/> as a supervised example and builds its datum.</summary>
    public static Datum FromConversation(
        IRenderer renderer, IReadOnlyList<Message> messages, TrainOnWhat trainOnWhat, int? maxLength = null)
    {
        ArgumentNullException.ThrowIfNull(renderer);
        var example = renderer.BuildSupervisedExample(messages, trainOnWhat);
        return FromModelInputWeights(example.ModelInput, example.Weights, maxLength);
    }
}
