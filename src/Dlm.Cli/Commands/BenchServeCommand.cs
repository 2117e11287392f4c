using System.CommandLine;
using System.Text.Json;
using Dlm.Cli.Output;
using Dlm.Core;
using Dlm.Numerics.Kernels;
using Dlm.Serve;

namespace Dlm.Cli.Commands;

/// <summary>`dlm bench serve`: aggregate tokens/s and time to first token of `dlm serve` at several concurrent streams.</summary>
internal static class BenchServeCommand
{
    public static Command Create()
    {
        var model = new Option<string?>("--model") { Description = "Model folder to serve (default: a random-weight llama of about 30M parameters, built in memory)." };
        var dtype = new Option<string>("--dtype") { Description = "Weights in memory: f32, bf16 or f16.", DefaultValueFactory = _ => "f32" };
        var streams = new Option<int[]>("--streams") { Description = "Concurrency levels (concurrent client streams).", DefaultValueFactory = _ => [1, 4, 16], AllowMultipleArgumentsPerToken = true };
        var requests = new Option<int>("--requests") { Description = "Requests each stream sends one after another.", DefaultValueFactory = _ => 2 };
        var prompt = new Option<int>("--prompt-tokens") { Description = "Prompt length of every request.", DefaultValueFactory = _ => 8 };
        var maxTokens = new Option<int>("--max-tokens") { Description = "Completion tokens per request.", DefaultValueFactory = _ => 64 };
        var json = new Option<bool>("--json") { Description = "Progress on stderr and one JSON object as the last line." };
        var cmd = new Command("serve",
            "Serve a model on 127.0.0.1 and stream /v1/completions from 1, 4 and 16 concurrent clients: aggregate tokens/s and time to first token per level.")
        { model, dtype, streams, requests, prompt, maxTokens, json };
        cmd.SetAction(async (parse, ct) =>
        {
            var levels = parse.GetValue(streams)!;
            if (levels.Length == 0 || levels.Any(n => n < 1 || n > 256)) throw new UsageException("--streams: each level must lie in 1..256");
            int req = parse.GetValue(requests), p = parse.GetValue(prompt), max = parse.GetValue(maxTokens);
            if (req is < 1 or > 1000) throw new UsageException($"--requests must lie in 1..1000, not {req}");
            if (p < 1 || max < 1) throw new UsageException("--prompt-tokens and --max-tokens must be at least 1");
            var served = parse.GetValue(model) is { } dir ? ServedModel.Load(dir, format: WeightFormats.Parse(parse.GetValue(dtype)!)) : null;
            if (served is not null && p + max >= served.Model.Config.ContextLength)
                throw new UsageException($"--prompt-tokens + --max-tokens must stay below the model's context of {served.Model.Config.ContextLength}");
            Console.Error.WriteLine($"bench serve: {(served?.Id ?? "random-llama-30m")}, streams {string.Join(", ", levels)}, {req} requests per stream of {p} + {max} tokens");
            var r = await ServeBenchmark.RunAsync(served, levels, req, p, max, line => Console.Error.WriteLine(line), ct).ConfigureAwait(false);
            Console.Error.WriteLine($"aggregate tokens/s at {levels[^1]} streams = {r.AggregateSpeedup:F2}x one stream");
            Console.Out.WriteLine(JsonSerializer.Serialize(r, Json.Compact));
            return CliApp.ExitOk;
        });
        return cmd;
    }
}
