using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Dlm.Chat.Renderers;
using Dlm.Models.Config;
using Dlm.Models.Generation;
using Dlm.Models.Transformer;
using Dlm.Numerics.Kernels;
using Dlm.Tokenizers;
using Dlm.Tokenizers.Training;

namespace Dlm.Serve;

/// <summary>One concurrency level of <see cref="ServeBenchmark"/>.</summary>
/// <param name="Streams">Concurrent client streams.</param>
/// <param name="Requests">Requests completed (each stream sends its requests one after another).</param>
/// <param name="Tokens">Completion tokens received.</param>
/// <param name="Seconds">Wall time of the level.</param>
/// <param name="AggregateTokensPerS">Tokens of all streams per second of wall time.</param>
/// <param name="TtftMsMean">Mean time from sending a request to its first streamed token.</param>
/// <param name="TtftMsP50">Median of the same.</param>
/// <param name="TtftMsMax">Worst of the same.</param>
/// <param name="LargestBatch">The most rows one decode step carried during the level.</param>
/// <param name="EngineTokensPerS">The same batch size without HTTP: tokens/s of bare batched decode steps of <c>Streams</c> rows, measured right after (the ceiling the server can reach).</param>
public sealed record ServeLevel(int Streams, int Requests, long Tokens, double Seconds, double AggregateTokensPerS,
    double TtftMsMean, double TtftMsP50, double TtftMsMax, int LargestBatch, double EngineTokensPerS);

/// <summary>What <c>dlm bench serve</c> measured.</summary>
/// <param name="Model">The model id (<c>random-PRESET</c> for the built-in random model).</param>
/// <param name="Params">Parameters of the model.</param>
/// <param name="Slots">Server slots.</param>
/// <param name="PromptTokens">Prompt length of every request.</param>
/// <param name="MaxTokens">Completion tokens per request.</param>
/// <param name="Levels">One entry per concurrency level.</param>
/// <param name="AggregateSpeedup">Aggregate tokens/s of the most streams over that of one stream.</param>
/// <param name="Threads">Kernel threads.</param>
public sealed record ServeBenchmarkResult(string Model, long Params, int Slots, int PromptTokens, int MaxTokens, IReadOnlyList<ServeLevel> Levels,
    double AggregateSpeedup, int Threads);

/// <summary>
/// Serving throughput: a real <see cref="DlmServer"/> on 127.0.0.1 and real HTTP clients streaming
/// <c>/v1/completions</c> (server-sent events) at 1, 4 and 16 concurrent streams, each stream a
/// bounded loop of requests of fixed length (no stop strings, so every request yields exactly
/// max_tokens). Reports aggregate tokens/s and time to first token (the first chunk carrying a
/// token id, <c>return_token_ids</c>) per level.
/// </summary>
public static class ServeBenchmark
{
    /// <summary>A random-weight model large enough that a decode step is bound by reading the weights (about 30M parameters, 120 MB in f32).</summary>
    public static ModelConfig RandomModelConfig => new()
    {
        Family = ModelFamily.Llama, ModelType = "llama", VocabSize = 8192, ContextLength = 512, DModel = 512, Layers = 8, Heads = 8, KvHeads = 8,
        DFf = 1408, RopeTheta = 10000,
    };

    /// <summary>Runs the benchmark over <paramref name="served"/> (null: the random model) and reports each level through <paramref name="log"/>.</summary>
    public static async Task<ServeBenchmarkResult> RunAsync(ServedModel? served, IReadOnlyList<int> streams, int requestsPerStream, int promptTokens, int maxTokens,
        Action<string> log, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(streams);
        ArgumentNullException.ThrowIfNull(log);
        served ??= RandomModel();
        int slots = streams.Max();
        var options = new ServeOptions { Port = 0, Slots = slots, Context = Math.Min(served.Model.Config.ContextLength, promptTokens + maxTokens + 1), MaxTokens = maxTokens, MaxQueued = 4 * slots };
        await using var server = await DlmServer.StartAsync(served, options, cancellationToken).ConfigureAwait(false);
        using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 4 * slots, UseProxy = false }) { BaseAddress = server.BaseAddress, Timeout = TimeSpan.FromMinutes(5) };
        var rng = new Random(1);
        int vocab = Math.Min(served.Tokenizer.VocabSize, served.Model.Config.VocabSize);
        string Body() => JsonSerializer.Serialize(new
        {
            prompt = Enumerable.Range(0, promptTokens).Select(_ => rng.Next(vocab)).ToArray(),
            max_tokens = maxTokens, temperature = 0, stream = true, stream_options = new { include_usage = true },
            // One chunk per token even while its text is held back (random ids are often not valid UTF-8 alone).
            return_token_ids = true,
        });
        // Warm up: JIT, the connection, the first cache allocation.
        await Request(http, Body(), cancellationToken).ConfigureAwait(false);
        var levels = new List<ServeLevel>();
        foreach (int n in streams)
        {
            var bodies = Enumerable.Range(0, n).Select(_ => Enumerable.Range(0, requestsPerStream).Select(_ => Body()).ToArray()).ToArray();
            int largestBefore = server.Engine.LargestBatch;
            var sw = Stopwatch.StartNew();
            var results = await Task.WhenAll(bodies.Select(async mine =>
            {
                var done = new List<(double Ttft, int Tokens)>();
                foreach (var b in mine) done.Add(await Request(http, b, cancellationToken).ConfigureAwait(false));
                return done;
            })).ConfigureAwait(false);
            double seconds = sw.Elapsed.TotalSeconds;
            var all = results.SelectMany(r => r).ToList();
            var ttft = all.Select(r => r.Ttft).Order().ToArray();
            long tokens = all.Sum(r => r.Tokens);
            var level = new ServeLevel(n, all.Count, tokens, Math.Round(seconds, 3), Math.Round(tokens / seconds, 1), Math.Round(ttft.Average(), 1),
                Math.Round(ttft[ttft.Length / 2], 1), Math.Round(ttft[^1], 1), Math.Max(largestBefore, server.Engine.LargestBatch),
                Math.Round(EngineTokensPerS(served.Model, n, promptTokens + maxTokens), 1));
            levels.Add(level);
            log($"{n,3} streams: {level.AggregateTokensPerS,8:F1} tokens/s aggregate, time to first token {level.TtftMsMean:F1} ms mean / {level.TtftMsP50:F1} ms median / {level.TtftMsMax:F1} ms max ({all.Count} requests, {tokens} tokens, {seconds:F2} s); bare decode steps of {n} rows: {level.EngineTokensPerS:F1} tokens/s");
        }
        double speedup = levels[^1].AggregateTokensPerS / levels[0].AggregateTokensPerS;
        return new ServeBenchmarkResult(served.Id, served.Model.Layout.Count, slots, promptTokens, maxTokens, levels, Math.Round(speedup, 2),
            Dlm.Numerics.Threading.WorkerPool.Shared.Threads);
    }

    // Tokens/s of bare batched decode steps of `rows` sequences (no HTTP, no sampling), halfway through the context.
    private static double EngineTokensPerS(InferenceModel model, int rows, int context)
    {
        var session = new InferenceSession(model, rows, context);
        var logits = new float[rows * model.Config.VocabSize];
        var seqs = Enumerable.Range(0, rows).ToArray();
        var tokens = new int[rows];
        int half = Math.Max(1, context / 2);
        for (int s = 0; s < rows; s++) session.Prefill(s, Enumerable.Range(1, half).ToArray(), logits.AsSpan(0, model.Config.VocabSize));
        session.Step(seqs, tokens, logits);
        var sw = Stopwatch.StartNew();
        int steps = 0;
        while (steps < 4 || (sw.ElapsedMilliseconds < 1000 && session.Length(0) < context))
        {
            session.Step(seqs, tokens, logits);
            steps++;
        }
        return steps * rows / sw.Elapsed.TotalSeconds;
    }

    // One streamed request: milliseconds to the first token, and the completion tokens of its usage chunk.
    private static async Task<(double Ttft, int Tokens)> Request(HttpClient http, string body, CancellationToken ct)
    {
        var sw = Stopwatch.StartNew();
        using var req = new HttpRequestMessage(HttpMethod.Post, "/v1/completions") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        using var res = await http.SendAsync(req, HttpCompletionOption.ResponseHeadersRead, ct).ConfigureAwait(false);
        if (res.StatusCode != HttpStatusCode.OK)
            throw new Core.DlmException($"bench serve: the server answered {(int)res.StatusCode}: {await res.Content.ReadAsStringAsync(ct).ConfigureAwait(false)}");
        using var reader = new StreamReader(await res.Content.ReadAsStreamAsync(ct).ConfigureAwait(false));
        double ttft = -1;
        int tokens = 0;
        for (string? line; (line = await reader.ReadLineAsync(ct).ConfigureAwait(false)) is not null;)
        {
            if (!line.StartsWith("data: ", StringComparison.Ordinal) || line == "data: [DONE]") continue;
            var j = JsonNode.Parse(line.AsSpan(6).ToString())!;
            if (ttft < 0 && j["choices"]!.AsArray().Count > 0 && j["choices"]![0]!["token_ids"] is not null) ttft = sw.Elapsed.TotalMilliseconds;
            if (j["usage"] is { } u) tokens = u["completion_tokens"]!.GetValue<int>();
        }
        return (ttft, tokens);
    }

    /// <summary>The random-weight model of <see cref="RandomModelConfig"/> with a byte-level tokenizer (no merges).</summary>
    public static ServedModel RandomModel()
    {
        var cfg = RandomModelConfig;
        var model = new TransformerModel(cfg, 1, 1, inferenceOnly: true);
        model.InitializeWeights(1);
        var trainer = new BpeTrainer(new BpeTrainerOptions { VocabSize = BpeTrainer.MinimumVocabSize(1), SpecialTokens = ["<|endoftext|>"] });
        trainer.Feed("a random model for the serving benchmark");
        var bpe = trainer.Train();
        var tokenizer = Tokenizer.FromJson(bpe.ToTokenizerJson(), bpe.ToTokenizerConfigJson(eosToken: "<|endoftext|>"));
        return new ServedModel("random-llama-30m", InferenceModel.FromModel(model, WeightFormat.F32), tokenizer, new RoleColonRenderer(tokenizer));
    }
}
