using Dlm.Chat;
using Dlm.Core;
using Dlm.Tokenizers;
using Dlm.Training.Datasets;
using Dlm.Training.NumpyRandom;
using Parquet.Serialization;

namespace Dlm.Training.Tests.Datasets;

public class DatasetBuilderTests
{
    private static (string Dir, DatasetContext Context) Setup()
    {
        var dir = TinyModels.TempDir();
        var tok = Tokenizer.FromPath(TinyModels.Tokenizer(Path.Combine(dir, "tok")));
        return (dir, new DatasetContext(Path.Combine(dir, "tok"), tok));
    }

    private static IReadOnlyList<Message> Numbered(int i) => [new Message("user", $"question {i}"), new Message("assistant", $"answer {i}")];

    [Fact]
    public void A_conversation_file_is_shuffled_with_numpy_then_split()
    {
        var (dir, ctx) = Setup();
        var file = Path.Combine(dir, "c.jsonl");
        File.WriteAllLines(file, Enumerable.Range(0, 100).Select(i => ConversationJson.Serialize(Numbered(i))));
        var builder = new FromConversationFileBuilder { FilePath = file, TestSize = 10, ShuffleSeed = 0 };
        builder.CommonConfig.BatchSize = 8;
        var (train, test) = builder.Build(ctx);
        var perm = new NumpyGenerator(0).Permutation(100);
        var trainSet = Assert.IsType<ConversationDataset>(train);
        var testSet = Assert.IsType<ConversationDataset>(test);
        Assert.Equal(90 / 8, train.Count);
        Assert.Equal(1, test!.Count);
        Assert.Equal(10, testSet.BatchSize);
        for (int i = 0; i < 10; i++) Assert.Equal($"question {perm[i]}", testSet.Row(i)[0].Content);
        for (int i = 0; i < 90; i++) Assert.Equal($"question {perm[10 + i]}", trainSet.Row(i)[0].Content);
        Assert.Equal(8, train.GetBatch(0).Count);

        // SetEpoch reorders the train rows by default_rng(epoch).permutation(rows).
        train.SetEpoch(3);
        var epoch = new NumpyGenerator(3).Permutation(90);
        for (int i = 0; i < 90; i++) Assert.Equal($"question {perm[10 + epoch[i]]}", trainSet.Row(i)[0].Content);
    }

    [Fact]
    public void The_default_train_on_what_trains_assistant_messages_and_max_length_cuts()
    {
        var (dir, ctx) = Setup();
        var file = TinyModels.ConversationFile(dir, 4);
        var builder = new FromConversationFileBuilder { FilePath = file };
        builder.CommonConfig.BatchSize = 2;
        var batch = builder.Build(ctx).Train.GetBatch(0);
        var renderer = RendererRegistry.Create("role_colon", ctx.Tokenizer);
        var ds = (ConversationDataset)builder.Build(ctx).Train;
        var expected = DatumBuilder.FromConversation(renderer, ds.Row(0), TrainOnWhat.AllAssistantMessages);
        Assert.Equal(expected.Weights.ToArray(), batch[0].Weights.ToArray());
        Assert.Equal(expected.ModelInput.ToInts(), batch[0].ModelInput.ToInts());

        builder.CommonConfig.MaxLength = 6;
        var cut = builder.Build(ctx).Train.GetBatch(0);
        Assert.All(cut, d => Assert.Equal(5, d.ModelInput.Length));
        Assert.Equal(expected.ModelInput.ToInts()[..5], cut[0].ModelInput.ToInts());
    }

    [Fact]
    public void A_line_without_messages_is_an_error_naming_the_line()
    {
        var (dir, ctx) = Setup();
        var file = Path.Combine(dir, "bad.jsonl");
        File.WriteAllLines(file, [ConversationJson.Serialize(Numbered(0)), ConversationJson.Serialize(Numbered(1)), "{\"text\": \"hello\"}"]);
        var e = Assert.Throws<DlmException>(() => new FromConversationFileBuilder { FilePath = file }.Build(ctx));
        Assert.StartsWith($"{file}:3", e.Message);
        Assert.Contains("messages", e.Message);
    }

    private static async Task WriteNoRobots(string folder, string split, int rows)
    {
        var data = Enumerable.Range(0, rows).Select(i => new NoRobotsRow
        {
            Prompt = $"{split} prompt {i}",
            PromptId = $"{split}-{i:x8}",
            Category = i % 2 == 0 ? "Generation" : "Open QA",
            Messages =
            [
                new NoRobotsMessage { Role = "system", Content = "Be brief." },
                new NoRobotsMessage { Role = "user", Content = $"{split} prompt {i}" },
                new NoRobotsMessage { Role = "assistant", Content = $"{split} reply {i}" },
            ],
        }).ToList();
        Directory.CreateDirectory(Path.Combine(folder, "data"));
        await using var stream = File.Create(Path.Combine(folder, "data", $"{split}-00000-of-00001.parquet"));
        await ParquetSerializer.SerializeAsync(data, stream);
    }

    [Fact]
    public async Task No_robots_reads_parquet_train_shuffled_with_seed_0_and_test_as_is()
    {
        var (dir, ctx) = Setup();
        var folder = Path.Combine(dir, "no_robots");
        await WriteNoRobots(folder, "train", 12);
        await WriteNoRobots(folder, "test", 3);
        var builder = new NoRobotsBuilder { Path = folder };
        builder.CommonConfig.BatchSize = 5;
        var (train, test) = builder.Build(ctx);
        Assert.Equal(2, train.Count);
        var perm = new NumpyGenerator(0).Permutation(12);
        var rows = (ConversationDataset)train;
        for (int i = 0; i < 12; i++)
        {
            Assert.Equal(["system", "user", "assistant"], rows.Row(i).Select(m => m.Role));
            Assert.Equal($"train prompt {perm[i]}", rows.Row(i)[1].Content);
        }
        var t = (ConversationDataset)test!;
        Assert.Equal(1, t.Count);
        Assert.Equal(Enumerable.Range(0, 3).Select(i => $"test prompt {i}"), Enumerable.Range(0, 3).Select(i => t.Row(i)[1].Content));
        Assert.Equal(3, test!.GetBatch(0).Count);
    }

    [Fact]
    public void No_robots_without_a_folder_says_what_to_pass()
    {
        var (dir, ctx) = Setup();
        var e = Assert.Throws<DlmException>(() => new NoRobotsBuilder { Path = Path.Combine(dir, "missing") }.Build(ctx));
        Assert.Contains("not found", e.Message);
    }
}
