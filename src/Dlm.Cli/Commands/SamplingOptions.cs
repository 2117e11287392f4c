using System.CommandLine;
using Dlm.Models.Generation;
using Dlm.Numerics.Kernels;
using Dlm.Tokenizers;

namespace Dlm.Cli.Commands;

/// <summary>The options `dlm sample` and `dlm chat` share: which weights to load and how to sample.</summary>
internal sealed class SamplingOptions
{
    public Option<string> Model { get; } = new("--model") { Description = "Model folder: config.json, model.safetensors (F32, F16 or BF16) and tokenizer.json.", Required = true };
    public Option<string?> Adapter { get; } = new("--adapter") { Description = "PEFT LoRA adapter folder (adapter_config.json + adapter_model.safetensors), applied unmerged." };
    public Option<bool> MergeAdapter { get; } = new("--merge-adapter") { Description = "Fold the adapter into the weights once instead (same results within 1e-5, faster decoding)." };
    public Option<string?> Tokenizer { get; } = new("--tokenizer") { Description = "tokenizer.json or a folder holding one (default: the model folder)." };
    public Option<string> DType { get; } = new("--dtype") { Description = "Weights in memory: f32, bf16 or f16 (16-bit halves the bytes read per token).", DefaultValueFactory = _ => "f32" };
    public Option<float> Temperature { get; }
    public Option<int> MaxTokens { get; }
    public Option<int> TopK { get; } = new("--top-k") { Description = "Sample among the k most likely tokens (-1: all).", DefaultValueFactory = _ => -1 };
    public Option<float> TopP { get; } = new("--top-p") { Description = "Sample within the smallest set of tokens holding this probability (1: all).", DefaultValueFactory = _ => 1f };
    public Option<float> MinP { get; } = new("--min-p") { Description = "Drop tokens less likely than min-p times the most likely (0: off).", DefaultValueFactory = _ => 0f };
    public Option<float> RepetitionPenalty { get; } = new("--repetition-penalty") { Description = "Penalise tokens already present (1: off; Hugging Face semantics).", DefaultValueFactory = _ => 1f };
    public Option<int[]> Ban { get; } = new("--ban") { Description = "Token ids never to sample (repeat or list).", AllowMultipleArgumentsPerToken = true };
    public Option<string[]> Stop { get; } = new("--stop") { Description = "Stop when this text appears (repeatable; it may span tokens and is not printed)." };
    public Option<int[]> StopToken { get; } = new("--stop-token") { Description = "Stop after this token id (repeat or list).", AllowMultipleArgumentsPerToken = true };
    public Option<long?> Seed { get; } = new("--seed") { Description = "Seed of the draws: the same seed gives the same text on any thread count." };

    public SamplingOptions(float defaultTemperature, int defaultMaxTokens)
    {
        Temperature = new Option<float>("--temperature") { Description = "Softmax temperature; 0 is greedy.", DefaultValueFactory = _ => defaultTemperature };
        MaxTokens = new Option<int>("--max-tokens") { Description = "Most new tokens per sample (also stops at the context length).", DefaultValueFactory = _ => defaultMaxTokens };
    }

    public void AddTo(Command cmd)
    {
        foreach (Option o in new Option[] { Model, Adapter, MergeAdapter, Tokenizer, DType, Temperature, MaxTokens, TopK, TopP, MinP, RepetitionPenalty, Ban, Stop, StopToken, Seed })
            cmd.Options.Add(o);
    }

    public SamplingParams Params(ParseResult parse, IReadOnlyList<int>? extraStopTokens = null, IReadOnlyList<string>? extraStopStrings = null) => new SamplingParams
    {
        Temperature = parse.GetValue(Temperature),
        MaxTokens = parse.GetValue(MaxTokens),
        TopK = parse.GetValue(TopK),
        TopP = parse.GetValue(TopP),
        MinP = parse.GetValue(MinP),
        RepetitionPenalty = parse.GetValue(RepetitionPenalty),
        BannedTokens = parse.GetValue(Ban) ?? [],
        StopStrings = [.. parse.GetValue(Stop) ?? [], .. extraStopStrings ?? []],
        StopTokens = [.. parse.GetValue(StopToken) ?? [], .. extraStopTokens ?? []],
        Seed = parse.GetValue(Seed),
    }.Validate();

    public WeightFormat Format(ParseResult parse) => WeightFormats.Parse(parse.GetValue(DType)!);

    /// <summary>The tokenizer (null when none is there and <paramref name="required"/> is false).</summary>
    public Tokenizer? LoadTokenizer(ParseResult parse, bool required)
    {
        var path = parse.GetValue(Tokenizer) ?? parse.GetValue(Model)!;
        if (!required && parse.GetValue(Tokenizer) is null && !File.Exists(Path.Combine(path, "tokenizer.json"))) return null;
        return Dlm.Tokenizers.Tokenizer.FromPath(path);
    }

    public SamplingClient LoadClient(ParseResult parse, ITokenizer? tokenizer)
    {
        TokenTextDecoder? decoder = tokenizer is null ? null : ids => tokenizer.Decode(ids);
        var model = InferenceModel.Load(parse.GetValue(Model)!, Format(parse), parse.GetValue(Adapter), parse.GetValue(MergeAdapter));
        if (tokenizer is not null && tokenizer.VocabSize > model.Config.VocabSize)
            throw new Dlm.Core.DlmException($"the tokenizer has {tokenizer.VocabSize} ids but the model only {model.Config.VocabSize}");
        return new SamplingClient(model, decoder);
    }
}
