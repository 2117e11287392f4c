namespace Dlm.Models.Transformer;

/// <summary>
/// Which rows a forward pass with targets runs through the LM head and cross-entropy, and what it keeps.
/// The loss (<see cref="LossResult"/>) and the gradients are the same in every mode.
/// </summary>
public enum HeadMode
{
    /// <summary>
    /// Only rows with a target and a weight ≠ 0 (prompt tokens and padding cost nothing), in row
    /// chunks: the [tokens × vocab] logits are never held whole. <see cref="TransformerModel.TokenLogprobs"/>
    /// is 0 on the rows skipped; <see cref="TransformerModel.Logits"/> is not kept.
    /// </summary>
    Weighted,

    /// <summary>
    /// As <see cref="Weighted"/>, but every row with a target gets its log-probability (Tinker's
    /// forward_backward returns them all); the backward still skips the rows of weight 0.
    /// </summary>
    Targets,

    /// <summary>Every row: the logits [B, T, V] are kept whole in <see cref="TransformerModel.Logits"/> (what a forward pass without targets does).</summary>
    Logits,
}
