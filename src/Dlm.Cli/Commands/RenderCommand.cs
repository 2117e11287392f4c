using System.CommandLine;
using Dlm.Chat;
using Dlm.Core;
using Dlm.Tokenizers;

namespace Dlm.Cli.Commands;

/// <summary>
/// `dlm render`: conversations (JSONL of <c>{"messages": [...]}</c>) to token ids and loss weights
/// with a named renderer, one JSON line <c>{"tokens": [...], "weights": [...]}</c> per conversation.
/// </summary>
internal static class RenderCommand
{
    public static Command Create()
    {
        var renderer = new Option<string>("--renderer")
        {
            Description = $"Renderer name: {string.Join(", ", RendererRegistry.Names)}.",
            Required = true,
        };
        var tokenizer = new Option<string>("--tokenizer")
        {
            Description = "A tokenizer.json, or a folder holding one (and tokenizer_config.json).",
            Required = true,
        };
        var conversations = new Option<string>("--conversations")
        {
            Description = "JSONL file, one {\"messages\": [...]} per line.",
            Required = true,
        };
        var trainOnWhat = new Option<string>("--train-on-what")
        {
            Description = $"Which tokens get weight 1 (supervised mode): {string.Join(", ", TrainOnWhatNames.Values)}.",
            DefaultValueFactory = _ => TrainOnWhat.LastAssistantMessage.ToValue(),
        };
        var mode = new Option<string>("--mode")
        {
            Description = "supervised: the whole conversation with weights; generation: the conversation as history and a prompt for an assistant turn (weights 0).",
            DefaultValueFactory = _ => "supervised",
        };
        mode.AcceptOnlyFromAmong("supervised", "generation");

        var cmd = new Command("render",
            "Render conversations to token ids and loss weights with a chat renderer (the layout training uses).")
        {
            renderer, tokenizer, conversations, trainOnWhat, mode,
        };
        cmd.SetAction(parse =>
        {
            if (!ConversationRenderer.TryParseMode(parse.GetValue(mode), out var renderMode))
                throw new UsageException($"--mode must be supervised or generation");
            var what = TrainOnWhatNames.TryParse(parse.GetValue(trainOnWhat), out var w)
                ? w
                : throw new UsageException($"--train-on-what must be one of {string.Join(", ", TrainOnWhatNames.Values)}");
            var r = RendererRegistry.Create(parse.GetValue(renderer)!, Tokenizer.FromPath(parse.GetValue(tokenizer)!));
            var path = parse.GetValue(conversations)!;
            var rows = ConversationJson.ReadJsonl(path);
            var output = Console.Out;
            for (int i = 0; i < rows.Count; i++)
            {
                SupervisedExample example;
                try
                {
                    example = ConversationRenderer.Render(r, rows[i], renderMode, what);
                }
                catch (DlmException e)
                {
                    throw new DlmException($"{path}: conversation {i + 1}: {e.Message}");
                }
                output.WriteLine(ConversationRenderer.ToJsonLine(example));
            }
            return CliApp.ExitOk;
        });
        return cmd;
    }
}
