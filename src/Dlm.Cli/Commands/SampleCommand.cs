using System.CommandLine;
using System.Text.Json;
using Dlm.Chat;
using Dlm.Cli.Output;
using Dlm.Core;
using Dlm.Models.Evaluation;
using Dlm.Models.Generation;
using Dlm.Tokenizers;

namespace Dlm.Cli.Commands;

/// <summary>`dlm sample`: continue prompts with a model folder (KV-cache decoding, batched samples).</summary>
internal static class SampleCommand
{
    public static Command Create()
    {
        var o = new SamplingOptions(defaultTemperature: 1f, defaultMaxTokens: 128);
        var prompt = new Option<string?>("--prompt") { Description = "Prompt text (encoded with the tokenizer, its special tokens such as BOS added)." };
        var promptTokens = new Option<string?>("--prompt-tokens") { Description = "JSONL file: one JSON array of prompt token ids per line (instead of --prompt)." };
        var numSamples = new Option<int>("--num-samples") { Description = "Samples per prompt, decoded together in one batch.", DefaultValueFactory = _ => 1 };
        var json = new Option<bool>("--json") { Description = "One JSON line per prompt and sample: {\"tokens\", \"text\", \"logprobs\", \"stop_reason\"}." };
        var cmd = new Command("sample",
            "Continue a prompt with a model (and optional LoRA adapter): text is streamed as it is produced; with --json one " +
            "line per prompt and sample with the tokens, their logprobs and why sampling stopped (length|stop).");
        o.AddTo(cmd);
        cmd.Options.Add(prompt);
        cmd.Options.Add(promptTokens);
        cmd.Options.Add(numSamples);
        cmd.Options.Add(json);
        cmd.SetAction(parse =>
        {
            var text = parse.GetValue(prompt);
            var file = parse.GetValue(promptTokens);
            if ((text is null) == (file is null)) throw new UsageException("give exactly one of --prompt TEXT and --prompt-tokens FILE");
            int n = parse.GetValue(numSamples);
            if (n < 1) throw new UsageException($"--num-samples must be at least 1, not {n}");
            var p = o.Params(parse);
            var tokenizer = o.LoadTokenizer(parse, required: text is not null || p.StopStrings.Count > 0);
            var prompts = text is not null ? [tokenizer!.Encode(text, addSpecialTokens: true)] : SequenceLoss.ReadTokenLines(file!, minTokens: 1);
            using var client = o.LoadClient(parse, tokenizer);
            bool asJson = parse.GetValue(json);
            var stdout = Console.Out;
            foreach (var ids in prompts)
            {
                StreamingText? stream = !asJson && n == 1 && tokenizer is not null ? new StreamingText(tokenizer, p.StopStrings) : null;
                var r = client.Sample(ids, n, p, stream is null ? null : t =>
                {
                    if (p.StopTokens.Contains(t.Token)) return; // a stop token is not shown
                    stdout.Write(stream.Push(t.Token));
                    stdout.Flush();
                });
                if (stream is not null)
                {
                    stdout.WriteLine(stream.Flush());
                    continue;
                }
                for (int s = 0; s < r.Sequences.Count; s++)
                {
                    var seq = r.Sequences[s];
                    string? decoded = tokenizer is null ? null : TextOf(tokenizer, seq, p);
                    if (asJson)
                        stdout.WriteLine(JsonSerializer.Serialize(new { tokens = seq.Tokens, text = decoded, logprobs = seq.Logprobs, stop_reason = seq.StopReason.Name() }, Json.Compact));
                    else
                    {
                        if (n > 1) stdout.WriteLine($"--- sample {s + 1} of {n} ({seq.StopReason.Name()}) ---");
                        stdout.WriteLine(decoded ?? string.Join(' ', seq.Tokens));
                    }
                }
            }
            return CliApp.ExitOk;
        });
        return cmd;
    }

    // The sample's text: a final stop token left out, cut before the first stop string.
    private static string TextOf(Tokenizer tokenizer, SampledSequence seq, SamplingParams p)
    {
        var tokens = seq.Tokens.AsSpan();
        if (seq.StopReason == StopReason.Stop && tokens.Length > 0 && p.StopTokens.Contains(tokens[^1])) tokens = tokens[..^1];
        return Generator.TrimAtStop(tokenizer.Decode(tokens), p.StopStrings);
    }
}
