using System.CommandLine;
using Dlm.Models.IO.Gguf;

namespace Dlm.Cli.Commands;

/// <summary>`dlm import gguf`: a GGUF file back into a Hugging Face folder dlm can train.</summary>
internal static class ImportCommand
{
    public static Command Create()
    {
        var cmd = new Command("import", "Import models from other formats into Hugging Face folders.");
        var file = new Argument<string>("FILE") { Description = "GGUF file (llama, qwen2 or gpt2; f32, f16, bf16 or q8_0 tensors)." };
        var output = new Option<string>("--out") { Description = "Folder to write config.json, model.safetensors and the tokenizer into.", Required = true };
        var gguf = new Command("gguf", "Read a GGUF file into config.json + model.safetensors (F32, Hugging Face names) + tokenizer.json rebuilt from its vocabulary.")
        { file, output };
        gguf.SetAction(parse =>
        {
            var r = GgufImporter.Import(parse.GetValue(file)!, parse.GetValue(output)!);
            Console.WriteLine($"wrote {r.Folder}: {r.Config.ModelType}, {r.Config.Layers} layers, d_model {r.Config.DModel}, vocab {r.Config.VocabSize}, {r.Tensors} tensors{(r.HasTokenizer ? ", tokenizer.json" : ", no tokenizer in the file")}");
            return CliApp.ExitOk;
        });
        cmd.Subcommands.Add(gguf);
        return cmd;
    }
}
