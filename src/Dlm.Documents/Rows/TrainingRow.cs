using Dlm.Chat;

namespace Dlm.Documents.Rows;

/// <summary>What a row was made from.</summary>
public enum RowKind
{
    /// <summary>A prose section (or a source file): loss on every token, EOS appended.</summary>
    Prose,

    /// <summary>One Q/A pair of an instruction section, rendered as a chat: loss on the answer only.</summary>
    Instruction,
}

/// <summary>
/// One training row (R2 "Rows for training"): a prose section or one Q/A pair, tokenized, split
/// into windows of at most <c>sequence_len</c> inputs (a long row is split, never dropped), and
/// assigned to train or validation by <see cref="ValidationSplit"/>.
/// </summary>
/// <param name="Kind">Prose or instruction.</param>
/// <param name="SectionId">The section's 16-hex id.</param>
/// <param name="Index">The row's index within its section (0 for prose, the pair's index for Q/A).</param>
/// <param name="Origin">Where it comes from, for messages: <c>doc.dlm:12</c> or <c>source notes/a.md</c>.</param>
/// <param name="IsValidation">True when the row is in the validation set.</param>
/// <param name="Windows">The datums (shifted by one: inputs, targets, weights); each has at most <c>sequence_len</c> inputs.</param>
/// <param name="Tokens">Tokens of the whole row before windowing.</param>
/// <param name="LossTokens">Targets with a non-zero weight, over all windows.</param>
public sealed record TrainingRow(
    RowKind Kind, string SectionId, int Index, string Origin, bool IsValidation, IReadOnlyList<Datum> Windows, int Tokens, int LossTokens);
