using Dlm.Chat;
using Dlm.Core.Config;
using Dlm.Training.NumpyRandom;

namespace Dlm.Training.Datasets;

/// <summary>
/// A JSONL file of <c>{"messages": [...]}</c> (tinker-cookbook <c>FromConversationFileBuilder</c>):
/// shuffled with <see cref="ShuffleSeed"/>; when <see cref="TestSize"/> &gt; 0 and the file has more
/// rows, the first <see cref="TestSize"/> shuffled rows are the test set (one batch), the rest train.
/// </summary>
public sealed class FromConversationFileBuilder : ChatDatasetBuilder
{
    /// <summary>The JSONL file.</summary>
    [ConfigDoc("JSONL file, one {\"messages\": [...]} per line")]
    public required string FilePath { get; set; }

    /// <summary>Rows held out for evaluation.</summary>
    [ConfigDoc("Rows held out as the test set")]
    public int TestSize { get; set; }

    /// <summary>Seed of the shuffle before the split.</summary>
    [ConfigDoc("Seed of the shuffle before the split")]
    public int ShuffleSeed { get; set; }

    /// <inheritdoc/>
    public override DatasetPair Build(DatasetContext context)
    {
        var (_, renderer) = Resolve(context);
        var rows = ConversationJson.ReadJsonl(FilePath);
        var order = new NumpyGenerator(ShuffleSeed).Permutation(rows.Count);
        var shuffled = order.Select(i => rows[i]).ToList();
        var c = CommonConfig;
        if (TestSize > 0 && shuffled.Count > TestSize)
        {
            var test = new ConversationDataset(shuffled.Take(TestSize).ToList(), TestSize, renderer, TrainOnWhatOrDefault, c.MaxLength, FilePath);
            var train = new ConversationDataset(shuffled.Skip(TestSize).ToList(), c.BatchSize, renderer, TrainOnWhatOrDefault, c.MaxLength, FilePath);
            return new DatasetPair(train, test);
        }
        return new DatasetPair(new ConversationDataset(shuffled, c.BatchSize, renderer, TrainOnWhatOrDefault, c.MaxLength, FilePath), null);
    }
}
