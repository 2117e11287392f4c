using Dlm.Chat;
using Dlm.Models.Config;
using Dlm.Models.IO;
using Dlm.Models.Transformer;
using Dlm.Tokenizers.Training;

namespace Dlm.Training.Tests;

/// <summary>
/// Small real inputs made on the spot: a BPE tokenizer trained on arithmetic chat text, a tiny
/// Hugging Face model folder (llama or gpt2 layout) and a conversation file that a model can learn.
/// </summary>
public static class TinyModels
{
    private static readonly string[] Words = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"];

    /// <summary>Conversation i: "What is a plus b?" → "a plus b is c." (numbers as words, c below 10).</summary>
    public static IReadOnlyList<Message> Conversation(int i)
    {
        int a = i % 5, b = (i / 5) % 5;
        return
        [
            new Message("user", $"What is {Words[a]} plus {Words[b]}?"),
            new Message("assistant", $"{Words[a]} plus {Words[b]} is {Words[a + b]}."),
        ];
    }

    /// <summary>Writes <paramref name="count"/> conversations as JSONL.</summary>
    public static string ConversationFile(string dir, int count, string name = "conversations.jsonl")
    {
        Directory.CreateDirectory(dir);
        var path = Path.Combine(dir, name);
        File.WriteAllLines(path, Enumerable.Range(0, count).Select(i => ConversationJson.Serialize(Conversation(i))));
        return path;
    }

    /// <summary>A tokenizer folder trained on the conversation text (about 300 ids).</summary>
    public static string Tokenizer(string dir)
    {
        var trainer = new BpeTrainer(new BpeTrainerOptions { VocabSize = 300, SpecialTokens = ["<|endoftext|>"] });
        for (int i = 0; i < 25; i++)
            foreach (var m in Conversation(i)) trainer.Feed($"User: {m.Content}\n\nAssistant: {m.Content}\n\n");
        trainer.Train().Save(dir);
        return dir;
    }

    /// <summary>A Hugging Face folder with a random tiny model and the tokenizer.</summary>
    public static string ModelFolder(string dir, ModelFamily family = ModelFamily.Llama, ulong seed = 1)
    {
        Tokenizer(dir);
        var vocab = Dlm.Tokenizers.Tokenizer.FromPath(dir).VocabSize;
        var config = family == ModelFamily.Gpt2
            ? new ModelConfig
            {
                Family = ModelFamily.Gpt2, ModelType = "gpt2", VocabSize = vocab, ContextLength = 128, DModel = 32, Layers = 2,
                Heads = 2, KvHeads = 2, DFf = 128, QkvBias = true, OutBias = true, MlpBias = true, TiedEmbeddings = true,
            }
            : new ModelConfig
            {
                Family = ModelFamily.Llama, ModelType = "llama", VocabSize = vocab, ContextLength = 128, DModel = 32, Layers = 2,
                Heads = 4, KvHeads = 2, DFf = 64,
            };
        var model = new TransformerModel(config, 1, 8);
        model.InitializeWeights(seed);
        HfModelFolder.Save(dir, config, model.Layout, model.Weights);
        return dir;
    }

    /// <summary>A fresh temporary folder.</summary>
    public static string TempDir()
    {
        var dir = Path.Combine(Path.GetTempPath(), "dlm-training-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        return dir;
    }
}
