using System.Diagnostics.CodeAnalysis;
using System.Text.Json.Serialization;
using Dlm.Chat;
using Dlm.Core;
using Dlm.Core.Config;
using Dlm.Training.NumpyRandom;
using Parquet.Serialization;

namespace Dlm.Training.Datasets;

/// <summary>
/// The <c>HuggingFaceH4/no_robots</c> chat dataset (tinker-cookbook <c>NoRobotsBuilder</c>), read
/// from its published Parquet files (<c>data/train-*.parquet</c>, <c>data/test-*.parquet</c>,
/// columns prompt, prompt_id, messages, category) in a local folder: the train split shuffled with
/// seed 0, the test split as it is (one batch).
/// </summary>
public sealed class NoRobotsBuilder : ChatDatasetBuilder
{
    /// <summary>The dataset folder (holding <c>data/</c> or the Parquet files); None: the Hugging Face cache.</summary>
    [ConfigDoc("no_robots folder (with data/*.parquet); None: the Hugging Face cache")]
    public string? Path { get; set; }

    /// <inheritdoc/>
    public override DatasetPair Build(DatasetContext context)
    {
        var (_, renderer) = Resolve(context);
        var folder = Path ?? CachedSnapshot() ?? throw new DlmException(
            "no_robots is not in the Hugging Face cache (HuggingFaceH4/no_robots); download its data/*.parquet files and pass dataset_builder.path=DIR, " +
            "or train on your own file with dataset_builder=FromConversationFileBuilder dataset_builder.file_path=FILE");
        var train = ReadSplit(folder, "train");
        var test = ReadSplit(folder, "test");
        var order = new NumpyGenerator(0).Permutation(train.Count);
        var c = CommonConfig;
        var what = TrainOnWhatOrDefault;
        return new DatasetPair(
            new ConversationDataset(order.Select(i => train[i]).ToList(), c.BatchSize, renderer, what, c.MaxLength, System.IO.Path.Combine(folder, "train")),
            test.Count == 0 ? null : new ConversationDataset(test, test.Count, renderer, what, c.MaxLength, System.IO.Path.Combine(folder, "test")));
    }

    /// <summary>Rows of one split: every <c>SPLIT-*.parquet</c> under the folder (or its <c>data/</c>), in name order.</summary>
    public static IReadOnlyList<IReadOnlyList<Message>> ReadSplit(string folder, string split)
    {
        if (!Directory.Exists(folder)) throw new DlmException($"{folder}: no_robots folder not found");
        var dir = Directory.Exists(System.IO.Path.Combine(folder, "data")) ? System.IO.Path.Combine(folder, "data") : folder;
        var files = Directory.GetFiles(dir, split + "-*.parquet").Order(StringComparer.Ordinal).ToList();
        if (files.Count == 0) throw new DlmException($"{dir}: no {split}-*.parquet file");
        var rows = new List<IReadOnlyList<Message>>();
        foreach (var file in files)
        {
            IList<NoRobotsRow> data;
            try
            {
                using var stream = File.OpenRead(file);
                data = ParquetSerializer.DeserializeAsync<NoRobotsRow>(stream).GetAwaiter().GetResult().Data;
            }
            catch (Exception e) when (e is IOException or InvalidOperationException or NotSupportedException or Parquet.ParquetException)
            {
                throw new DlmException($"{file}: not a no_robots Parquet file: {e.Message}");
            }
            int index = 0;
            foreach (var r in data)
            {
                index++;
                if (r.Messages is null || r.Messages.Count == 0) throw new DlmException($"{file}: row {index} has no messages");
                rows.Add(r.Messages.Select(m => new Message(m.Role ?? throw new DlmException($"{file}: row {index}: a message has no role"), m.Content ?? "")).ToList());
            }
        }
        return rows;
    }

    private static string? CachedSnapshot()
    {
        var hub = Environment.GetEnvironmentVariable("HF_HUB_CACHE")
            ?? (Environment.GetEnvironmentVariable("HF_HOME") is { } home ? System.IO.Path.Combine(home, "hub") : null)
            ?? System.IO.Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "huggingface", "hub");
        var snapshots = System.IO.Path.Combine(hub, "datasets--HuggingFaceH4--no_robots", "snapshots");
        if (!Directory.Exists(snapshots)) return null;
        return Directory.GetDirectories(snapshots).Order(StringComparer.Ordinal)
            .LastOrDefault(d => Directory.Exists(System.IO.Path.Combine(d, "data")));
    }
}

/// <summary>One no_robots row as its Parquet files lay it out.</summary>
public sealed class NoRobotsRow
{
    /// <summary>The user's prompt.</summary>
    [JsonPropertyName("prompt")]
    public string? Prompt { get; set; }

    /// <summary>Row id (a hash).</summary>
    [JsonPropertyName("prompt_id")]
    public string? PromptId { get; set; }

    /// <summary>The conversation.</summary>
    [JsonPropertyName("messages")]
    [SuppressMessage("Usage", "CA2227", Justification = "Parquet.Net fills the list through the setter")]
    public List<NoRobotsMessage>? Messages { get; set; }

    /// <summary>Task category (Generation, Open QA, ...).</summary>
    [JsonPropertyName("category")]
    public string? Category { get; set; }
}

/// <summary>One message of a no_robots conversation.</summary>
public sealed class NoRobotsMessage
{
    /// <summary>The text.</summary>
    [JsonPropertyName("content")]
    public string? Content { get; set; }

    /// <summary>system, user or assistant.</summary>
    [JsonPropertyName("role")]
    public string? Role { get; set; }
}
