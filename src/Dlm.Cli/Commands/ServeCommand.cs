using System.CommandLine;
using System.Net;
using System.Runtime.InteropServices;
using Dlm.Core;
using Dlm.Numerics.Kernels;
using Dlm.Serve;

namespace Dlm.Cli.Commands;

/// <summary>`dlm serve`: the OpenAI-compatible HTTP server and its chat page (the work is Dlm.Serve's).</summary>
internal static class ServeCommand
{
    public static Command Create()
    {
        var d = new ServeOptions();
        var model = new Option<string>("--model") { Description = "Model folder: config.json, model.safetensors and tokenizer.json.", Required = true };
        var adapter = new Option<string?>("--adapter") { Description = "PEFT LoRA adapter folder, applied unmerged." };
        var merge = new Option<bool>("--merge-adapter") { Description = "Fold the adapter into the weights once instead (faster decoding)." };
        var tokenizer = new Option<string?>("--tokenizer") { Description = "tokenizer.json or a folder holding one (default: the model folder)." };
        var dtype = new Option<string>("--dtype") { Description = "Weights in memory: f32, bf16 or f16.", DefaultValueFactory = _ => "f32" };
        var renderer = new Option<string?>("--renderer") { Description = "Chat layout for /v1/chat/completions (default: the one the tokenizer's chat template implies)." };
        var host = new Option<string>("--host") { Description = "Address to bind (an IP address or localhost). Loopback by default: only this machine can connect.", DefaultValueFactory = _ => d.Host };
        var port = new Option<int>("--port") { Description = "TCP port (0: any free port; the address is printed).", DefaultValueFactory = _ => d.Port };
        var key = new Option<string?>("--api-key") { Description = "Require Authorization: Bearer KEY on every route but /health and the page (default: $DLM_API_KEY if set)." };
        var slots = new Option<int>("--slots") { Description = "Sequences decoded together in one batched step (a request of n choices takes n).", DefaultValueFactory = _ => d.Slots };
        var context = new Option<int?>("--context") { Description = "Tokens per sequence, prompt included (default: the model's context, at most 4096; bounds the KV cache)." };
        var body = new Option<long>("--max-body-bytes") { Description = "Largest request body (413 above it).", DefaultValueFactory = _ => d.MaxBodyBytes };
        var maxTokens = new Option<int>("--max-tokens-limit") { Description = "Largest max_tokens a request may ask for (400 above it).", DefaultValueFactory = _ => d.MaxTokens };
        var maxPrompt = new Option<int>("--max-prompt-tokens") { Description = "Longest prompt in tokens (400 above it).", DefaultValueFactory = _ => d.MaxPromptTokens };
        var queued = new Option<int>("--max-queued") { Description = "Requests waiting for a slot at most (429 above it).", DefaultValueFactory = _ => d.MaxQueued };
        var id = new Option<string?>("--model-id") { Description = "The model id clients send and /v1/models lists (default: the folder's name)." };
        var cmd = new Command("serve",
            "Serve a model over an OpenAI-compatible HTTP API (/v1/chat/completions, /v1/completions, /v1/models, /health; " +
            "streaming as server-sent events; concurrent requests decoded together) with a chat page at /.");
        foreach (Option o in new Option[] { model, adapter, merge, tokenizer, dtype, renderer, host, port, key, slots, context, body, maxTokens, maxPrompt, queued, id })
            cmd.Options.Add(o);
        cmd.SetAction(async (parse, ct) =>
        {
            var options = new ServeOptions
            {
                Host = parse.GetValue(host)!,
                Port = parse.GetValue(port),
                ApiKey = parse.GetValue(key) ?? Environment.GetEnvironmentVariable("DLM_API_KEY"),
                Slots = parse.GetValue(slots),
                Context = parse.GetValue(context),
                MaxBodyBytes = parse.GetValue(body),
                MaxTokens = parse.GetValue(maxTokens),
                MaxPromptTokens = parse.GetValue(maxPrompt),
                MaxQueued = parse.GetValue(queued),
                ModelId = parse.GetValue(id),
            };
            if (options.Port is < 0 or > 65535) throw new UsageException($"--port must lie in 0..65535, not {options.Port}");
            var served = ServedModel.Load(parse.GetValue(model)!, parse.GetValue(adapter), parse.GetValue(merge),
                WeightFormats.Parse(parse.GetValue(dtype)!), parse.GetValue(renderer), options.ModelId, parse.GetValue(tokenizer));
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
            using var term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; stop.Cancel(); });
            await using var server = await DlmServer.StartAsync(served, options, stop.Token).ConfigureAwait(false);
            Console.Out.WriteLine($"dlm serve: listening on {server.BaseAddress} (model {served.Id}, renderer {served.Renderer.Name}, " +
                $"{server.Engine.Slots} slots, context {server.Engine.Capacity} tokens{(options.ApiKey is null ? "" : ", API key required")})");
            Console.Out.Flush();
            if (!IsLoopback(options.Host) && options.ApiKey is null)
                Console.Error.WriteLine($"dlm serve: warning: listening on {options.Host} without --api-key: anyone who can reach this address can use the model");
            try
            {
                await Task.Delay(Timeout.Infinite, stop.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                Console.Error.WriteLine("dlm serve: stopping");
            }
            return CliApp.ExitOk;
        });
        return cmd;
    }

    private static bool IsLoopback(string host) => host == "localhost" || (IPAddress.TryParse(host, out var ip) && IPAddress.IsLoopback(ip));
}
