using System.Text.Json.Nodes;
using Dlm.Models.IO;
using Dlm.Models.Transformer;
using Dlm.Tokenizers.Training;
using Dlm.Training.Client;

namespace Dlm.Cli.Tests;

/// <summary>
/// A tiny local base model for document training: <c>preset:llama-tiny</c> (2 layers, d 64, context
/// 256) with random weights, saved as a Hugging Face folder with a BPE tokenizer trained on the
/// notes' words, the ChatML special tokens, EOS <c>&lt;|im_end|&gt;</c> and a ChatML chat template
/// (so the renderer is <c>chatml</c>, as for SmolLM2).
/// </summary>
public sealed class TinyChatBase : IDisposable
{
    public string Dir { get; } = Directory.CreateTempSubdirectory("dlm-tinybase-").FullName;

    public const string ChatTemplate =
        "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}" +
        "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

    public static readonly string[] Corpus =
    [
        "The lighthouse on Skerry Point was lit in 1871 and automated in 1983.",
        "Its keeper kept a log of every ship that passed the point.",
        "The harbour holds twelve fishing boats and one ferry to the mainland.",
        "The ferry leaves at seven in the morning and returns at six in the evening.",
        "What year was the lighthouse lit? It was lit in 1871.",
        "Who runs the ferry? The island council runs the ferry.",
    ];

    public TinyChatBase() => Build(Dir, Corpus, seed: 7);

    /// <summary>Writes a tiny chat base into <paramref name="dir"/>: a tokenizer trained on <paramref name="corpus"/>, random llama-tiny weights.</summary>
    public static void Build(string dir, IReadOnlyList<string> corpus, ulong seed)
    {
        var trainer = new BpeTrainer(new BpeTrainerOptions { VocabSize = 360, SpecialTokens = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"] });
        for (int i = 0; i < 4; i++)
            foreach (var line in corpus) trainer.Feed($"<|im_start|>user\n{line}<|im_end|>\n<|im_start|>assistant\n{line}<|im_end|>\n# source: notes/{i}.md\n\n{line}\n");
        trainer.Train().Save(dir, eosToken: "<|im_end|>");
        var cfgPath = Path.Combine(dir, "tokenizer_config.json");
        var cfg = JsonNode.Parse(File.ReadAllText(cfgPath))!.AsObject();
        cfg["chat_template"] = ChatTemplate;
        File.WriteAllText(cfgPath, cfg.ToJsonString());
        var vocab = Dlm.Tokenizers.Tokenizer.FromPath(dir).VocabSize;
        var config = ModelPresets.Create("preset:llama-tiny", vocab);
        var model = new TransformerModel(config, 1, 8);
        model.InitializeWeights(seed);
        HfModelFolder.Save(dir, config, model.Layout, model.Weights);
    }

    public void Dispose()
    {
        try { Directory.Delete(Dir, recursive: true); }
        catch (IOException) { }
    }
}
