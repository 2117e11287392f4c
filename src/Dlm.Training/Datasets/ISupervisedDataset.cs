using Dlm.Chat;

namespace Dlm.Training.Datasets;

/// <summary>
/// Batches of datums (tinker-cookbook <c>SupervisedDataset</c>): <see cref="Count"/> batches (the
/// last partial one dropped), <see cref="GetBatch"/> by index, and <see cref="SetEpoch"/> to
/// reshuffle for an epoch.
/// </summary>
public interface ISupervisedDataset
{
    /// <summary>Number of whole batches.</summary>
    int Count { get; }

    /// <summary>Batch <paramref name="index"/> of the current epoch's order.</summary>
    IReadOnlyList<Datum> GetBatch(int index);

    /// <summary>Reorders the rows for an epoch: <c>numpy.random.default_rng(seed).permutation(rows)</c>.</summary>
    void SetEpoch(int seed);
}

/// <summary>A train set and, when the builder makes one, a test set.</summary>
/// <param name="Train">Training batches.</param>
/// <param name="Test">Evaluation rows (one batch), or null.</param>
public sealed record DatasetPair(ISupervisedDataset Train, ISupervisedDataset? Test);
