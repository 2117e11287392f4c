using System.CommandLine;
using Dlm.Core;
using Dlm.Documents.Prompting;
using Dlm.Documents.Scaffold;
using Dlm.Hub;
using Dlm.Models.Generation;

namespace Dlm.Cli.Commands;

/// <summary>
/// `dlm prompt &lt;file.dlm|dir&gt; [QUERY]`: one answer from the document's base and its current
/// adapter (or <c>--adapter vNNNN</c>), R2's way: the query as one user turn with the generation
/// prompt (the document's system prompt first when set; raw text for a base without a chat
/// template), at most 256 new tokens, temperature 0.7. The query is read from stdin when not given.
/// The reply goes to stdout.
/// </summary>
internal static class PromptCommand
{
    public static Command Create()
    {
        var o = new DocumentSamplingOptions();
        var query = new Argument<string?>("query") { Description = "The question (default: all of stdin).", Arity = ArgumentArity.ZeroOrOne };
        var cmd = new Command("prompt", "Ask a trained document one question: its base model with its current adapter (or --adapter vNNNN) answers on stdout.");
        o.AddTo(cmd);
        cmd.Arguments.Add(query);
        cmd.SetAction(parse =>
        {
            var text = parse.GetValue(query) ?? Console.In.ReadToEnd().Trim();
            if (text.Length == 0) throw new UsageException("give a query, as an argument or on stdin");
            var chat = o.Open(parse);
            var adapter = chat.AdapterDir(parse.GetValue(o.Adapter));
            if (adapter is null) Console.Error.WriteLine($"warning: {chat.Store.Root} has no adapter yet: answering with the base alone (train it with dlm train)");
            var p = o.Params(parse, chat);
            using var client = chat.Client(adapter);
            var prompt = chat.PromptTokens(text);
            int context = client.Model.Config.ContextLength;
            if (prompt.Length >= context) throw new DlmException($"the query is {prompt.Length} tokens: it does not fit the context of {context} with room for an answer");
            p = p with { MaxTokens = Math.Min(p.MaxTokens, context - prompt.Length) };
            var seq = client.Sample(prompt, 1, p).Sequences[0];
            Console.Out.WriteLine(chat.ReplyText(seq, p));
            if (seq.StopReason == StopReason.Length) Console.Error.WriteLine($"warning: the answer was cut at {seq.Tokens.Length} tokens (--max-tokens)");
            return CliApp.ExitOk;
        });
        return cmd;
    }
}

/// <summary>The options `dlm prompt` and `dlm repl` share: the document, its adapter version and sampling.</summary>
internal sealed class DocumentSamplingOptions
{
    public Argument<string> Target { get; } = new("target") { Description = "A .dlm document, or a folder trained with dlm train (its FOLDER/.dlm/<name>.dlm)." };
    public Option<string> Name { get; } = new("--name") { Description = "Document stem under FOLDER/.dlm/ (default corpus).", DefaultValueFactory = _ => ScaffoldRequest.DefaultName };
    public Option<string?> Adapter { get; } = new("--adapter") { Description = "Adapter version of the document's store (e.g. v0001; default: the current one)." };
    public Option<float> Temperature { get; } = new("--temperature") { Description = "Softmax temperature; 0 is greedy.", DefaultValueFactory = _ => 0.7f };
    public Option<int> MaxTokens { get; } = new("--max-tokens") { Description = "Most new tokens per answer.", DefaultValueFactory = _ => 256 };
    public Option<float> TopP { get; } = new("--top-p") { Description = "Sample within the smallest set of tokens holding this probability (1: all).", DefaultValueFactory = _ => 1f };
    public Option<int> TopK { get; } = new("--top-k") { Description = "Sample among the k most likely tokens (-1: all).", DefaultValueFactory = _ => -1 };
    public Option<long?> Seed { get; } = new("--seed") { Description = "Seed of the draws." };

    public void AddTo(Command cmd)
    {
        cmd.Arguments.Add(Target);
        foreach (Option o in new Option[] { Name, Adapter, Temperature, MaxTokens, TopP, TopK, Seed }) cmd.Options.Add(o);
    }

    public DocumentChat Open(ParseResult parse)
    {
        var target = parse.GetValue(Target)!;
        var path = File.Exists(target) ? target : Scaffolder.Locate(target, parse.GetValue(Name)!);
        return DocumentChat.Open(path, HubOptions.FromEnvironment());
    }

    public SamplingParams Params(ParseResult parse, DocumentChat chat) => new SamplingParams
    {
        Temperature = parse.GetValue(Temperature),
        MaxTokens = parse.GetValue(MaxTokens),
        TopP = parse.GetValue(TopP),
        TopK = parse.GetValue(TopK),
        Seed = parse.GetValue(Seed),
        StopTokens = chat.StopTokens(),
        StopStrings = chat.StopStrings(),
    }.Validate();
}
