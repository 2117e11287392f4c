namespace Dlm.Documents.Rows;

/// <summary>Every row of a document, split, with what was left out and the content hashes of what was used.</summary>
/// <param name="Rows">All rows, train and validation, in document order (body sections, then source files).</param>
/// <param name="SequenceLen">The window length used (the document's <c>sequence_len</c>, capped by the model's context).</param>
/// <param name="ContentHashes">The section ids the rows come from (the manifest's <c>content_hashes</c>), sorted.</param>
/// <param name="PreferenceSections">Preference sections present and not trained (the preference phase is not in dlm yet).</param>
/// <param name="Notes">One line each, for the user: windowing, sections without rows, the preference sections.</param>
public sealed record RowSet(
    IReadOnlyList<TrainingRow> Rows, int SequenceLen, IReadOnlyList<string> ContentHashes, int PreferenceSections, IReadOnlyList<string> Notes)
{
    /// <summary>Rows in the training set.</summary>
    public IReadOnlyList<TrainingRow> Train => [.. Rows.Where(r => !r.IsValidation)];

    /// <summary>Rows in the validation set.</summary>
    public IReadOnlyList<TrainingRow> Validation => [.. Rows.Where(r => r.IsValidation)];

    /// <summary>The sequences (windows) the training rows yield, in row order.</summary>
    public IReadOnlyList<Dlm.Chat.Datum> TrainWindows => [.. Train.SelectMany(r => r.Windows)];

    /// <summary>The sequences of the validation rows.</summary>
    public IReadOnlyList<Dlm.Chat.Datum> ValidationWindows => [.. Validation.SelectMany(r => r.Windows)];

    /// <summary>A fingerprint of the content and the split: equal sets of hashes give equal fingerprints.</summary>
    public string Fingerprint => Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(
        System.Text.Encoding.UTF8.GetBytes(string.Join('\n', ContentHashes) + "\n" + SequenceLen)))[..16];
}
