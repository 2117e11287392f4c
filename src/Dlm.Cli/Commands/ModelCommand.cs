using System.CommandLine;
using System.Text.Json;
using Dlm.Cli.Output;
using Dlm.Core;
using Dlm.Models.Evaluation;

namespace Dlm.Cli.Commands;

/// <summary>`dlm model ...`: work with Hugging Face model folders.</summary>
internal static class ModelCommand
{
    public static Command Create()
    {
        var cmd = new Command("model", "Work with Hugging Face model folders (config.json + safetensors).");
        cmd.Subcommands.Add(CreateLoss());
        return cmd;
    }

    private static Command CreateLoss()
    {
        var model = new Option<string>("--model") { Description = "Model folder: config.json and model.safetensors (or a sharded index); F32, F16 or BF16.", Required = true };
        var tokens = new Option<string>("--tokens") { Description = "JSONL file: one JSON array of token ids per line.", Required = true };
        var cmd = new Command("loss",
            "For each line of token ids print {\"loss\": mean next-token cross-entropy, \"tokens\": predicted positions}, " +
            "then {\"mean_loss\": mean of the losses}.")
        { model, tokens };
        cmd.SetAction(parse =>
        {
            var folder = parse.GetValue(model)!;
            var lines = SequenceLoss.ReadTokenLines(parse.GetValue(tokens)!);
            var results = SequenceLoss.Evaluate(folder, lines);
            foreach (var r in results)
                Console.WriteLine(JsonSerializer.Serialize(new { loss = r.Loss, tokens = r.Tokens }, Json.Compact));
            Console.WriteLine(JsonSerializer.Serialize(new { mean_loss = results.Average(r => r.Loss) }, Json.Compact));
            return CliApp.ExitOk;
        });
        return cmd;
    }
}
