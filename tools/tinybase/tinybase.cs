#:project ../../src/Dlm.Training/Dlm.Training.csproj
// Writes a tiny local chat base model (the one the document-training tests use) into a folder:
//   dotnet run tools/tinybase/tinybase.cs -- OUT_DIR [TEXT_FILE ...]
// A BPE tokenizer (360 ids) trained on the text files' lines (or a built-in lighthouse text), the
// ChatML special tokens, EOS <|im_end|> and a ChatML chat template; preset:llama-tiny weights,
// random (seed 7). Good for trying `dlm train`, `dlm prompt` and `dlm repl` in seconds.
using System.Text.Json.Nodes;
using Dlm.Models.IO;
using Dlm.Models.Transformer;
using Dlm.Tokenizers.Training;
using Dlm.Training.Client;

if (args.Length < 1) { Console.Error.WriteLine("usage: dotnet run tools/tinybase/tinybase.cs -- OUT_DIR [TEXT_FILE ...]"); return 2; }
var dir = args[0];
string[] corpus = args.Length > 1
    ? args.Skip(1).SelectMany(File.ReadAllLines).Where(l => l.Trim().Length > 0).ToArray()
    : ["The lighthouse on Skerry Point was lit in 1871 and automated in 1983.", "Its keeper kept a log of every ship that passed the point.",
       "The harbour holds twelve fishing boats and one ferry to the mainland.", "The ferry leaves at seven in the morning and returns at six in the evening.",
       "What year was the lighthouse lit? It was lit in 1871.", "Who runs the ferry? The island council runs the ferry."];
const string template =
    "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}" +
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";
var trainer = new BpeTrainer(new BpeTrainerOptions { VocabSize = 360, SpecialTokens = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"] });
for (int i = 0; i < 4; i++)
    foreach (var line in corpus) trainer.Feed($"<|im_start|>user\n{line}<|im_end|>\n<|im_start|>assistant\n{line}<|im_end|>\n# source: notes/{i}.md\n\n{line}\n");
trainer.Train().Save(dir, eosToken: "<|im_end|>");
var cfgPath = Path.Combine(dir, "tokenizer_config.json");
var cfg = JsonNode.Parse(File.ReadAllText(cfgPath))!.AsObject();
cfg["chat_template"] = template;
File.WriteAllText(cfgPath, cfg.ToJsonString());
var config = ModelPresets.Create("preset:llama-tiny", Dlm.Tokenizers.Tokenizer.FromPath(dir).VocabSize);
var model = new TransformerModel(config, 1, 8);
model.InitializeWeights(7);
HfModelFolder.Save(dir, config, model.Layout, model.Weights);
Console.WriteLine($"wrote {dir}: llama-tiny, vocabulary {config.VocabSize}, context {config.ContextLength}");
return 0;
