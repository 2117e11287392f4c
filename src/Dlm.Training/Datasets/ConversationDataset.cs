using Dlm.Chat;
using Dlm.Core;
using Dlm.Training.NumpyRandom;

namespace Dlm.Training.Datasets;

/// <summary>
/// Conversations rendered into datums on demand (tinker-cookbook
/// <c>SupervisedDatasetFromHFDataset</c> with <c>conversation_to_datum</c>): rows keep their order
/// until <see cref="SetEpoch"/> shuffles them as Hugging Face datasets' <c>shuffle(seed)</c> does.
/// Each datum is cut to <c>max_length</c> tokens (R3) before the shift by one.
/// </summary>
public sealed class ConversationDataset : ISupervisedDataset
{
    private readonly IReadOnlyList<IReadOnlyList<Message>> _rows;
    private readonly IRenderer _renderer;
    private readonly TrainOnWhat _trainOnWhat;
    private readonly int? _maxLength;
    private readonly string _source;
    private int[] _order;

    /// <summary>A dataset over <paramref name="rows"/> in their given order.</summary>
    public ConversationDataset(IReadOnlyList<IReadOnlyList<Message>> rows, int batchSize, IRenderer renderer, TrainOnWhat trainOnWhat,
        int? maxLength, string source)
    {
        ArgumentNullException.ThrowIfNull(rows);
        if (batchSize <= 0) throw new DlmException($"batch_size must be positive, not {batchSize}");
        _rows = rows;
        BatchSize = batchSize;
        _renderer = renderer ?? throw new ArgumentNullException(nameof(renderer));
        _trainOnWhat = trainOnWhat;
        _maxLength = maxLength;
        _source = source;
        _order = Enumerable.Range(0, rows.Count).ToArray();
    }

    /// <summary>Rows per batch.</summary>
    public int BatchSize { get; }

    /// <summary>Rows in the dataset.</summary>
    public int Rows => _rows.Count;

    /// <inheritdoc/>
    public int Count => _rows.Count / BatchSize;

    /// <summary>The conversation at position <paramref name="i"/> of the current order.</summary>
    public IReadOnlyList<Message> Row(int i) => _rows[_order[i]];

    /// <inheritdoc/>
    public void SetEpoch(int seed) => _order = new NumpyGenerator(seed).Permutation(_rows.Count);

    /// <inheritdoc/>
    public IReadOnlyList<Datum> GetBatch(int index)
    {
        if (index < 0 || index >= Count) throw new ArgumentOutOfRangeException(nameof(index), index, $"the dataset has {Count} batches");
        var batch = new List<Datum>(BatchSize);
        for (int k = index * BatchSize; k < (index + 1) * BatchSize; k++)
        {
            try
            {
                batch.Add(DatumBuilder.FromConversation(_renderer, Row(k), _trainOnWhat, _maxLength));
            }
            catch (Exception e) when (e is DlmException or ArgumentException)
            {
                throw new DlmException($"{_source}: row {_order[k] + 1}: {e.Message}");
            }
        }
        return batch;
    }
}
