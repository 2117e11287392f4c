using System.Diagnostics;
using System.Text.Json.Serialization;
using Dlm.Core;
using Dlm.Models.Config;
using Dlm.Models.Layers;
using Dlm.Models.Transformer;
using Dlm.Numerics.Diagnostics;
using Dlm.Numerics.Kernels;
using Dlm.Numerics.Threading;

namespace Dlm.Models.Generation;

/// <summary>What <see cref="DecodeBenchmark.Run"/> measured.</summary>
/// <param name="Preset">The model shape.</param>
/// <param name="Dtype">Weight format (f32, bf16, f16).</param>
/// <param name="Threads">Threads of the pool.</param>
/// <param name="Params">Parameters of the model.</param>
/// <param name="PromptTokens">Prompt length prefilled.</param>
/// <param name="NewTokens">Tokens decoded per sequence.</param>
/// <param name="PrefillTokensPerS">Prompt tokens per second (best of two prefills).</param>
/// <param name="DecodeTokensPerS">New tokens per second, one sequence.</param>
/// <param name="Batch">Sequences in the batched measurement.</param>
/// <param name="BatchedDecodeTokensPerS">New tokens per second over all sequences, decoding together.</param>
/// <param name="BatchedSpeedup">Batched rate over the single-sequence rate.</param>
/// <param name="WeightBytesPerToken">Bytes of weights one decode step reads.</param>
/// <param name="BandwidthGbPerS">WeightBytesPerToken × decode tokens/s, in GB/s.</param>
/// <param name="MeasuredReadBandwidthGbPerS">The machine's read bandwidth on the same threads.</param>
/// <param name="BandwidthFraction">BandwidthGbPerS over the measured read bandwidth.</param>
/// <param name="LoadAvg1m">The 1-minute load average before and after (the machine may be shared).</param>
/// <param name="ProfileMsPerStep">With profiling: milliseconds per single-sequence decode step by phase (a separate, timed-apart run).</param>
/// <param name="BatchedProfileMsPerStep">With profiling: the same for a step of the whole batch.</param>
public sealed record DecodeBenchmarkResult(string Preset, string Dtype, int Threads, long Params, int PromptTokens, int NewTokens,
    double PrefillTokensPerS, double DecodeTokensPerS, int Batch, double BatchedDecodeTokensPerS, double BatchedSpeedup,
    long WeightBytesPerToken, double BandwidthGbPerS, double MeasuredReadBandwidthGbPerS, double BandwidthFraction,
    [property: JsonPropertyName("load_avg_1m")] double[] LoadAvg1m,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyDictionary<string, double>? ProfileMsPerStep = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyDictionary<string, double>? BatchedProfileMsPerStep = null);

/// <summary>
/// Decode speed on random weights of a preset shape: prefill of a prompt, single-sequence decode
/// with the cache, batched decode, and the achieved weight bandwidth against the machine's.
/// </summary>
public static class DecodeBenchmark
{
    /// <summary>The shapes: <c>smollm2-135m-shape</c> (30 layers, hidden 576, 9 heads, 3 KV heads, MLP 1536, vocab 49152, tied) and <c>tiny</c> for smoke tests.</summary>
    public static IReadOnlyList<string> Presets { get; } = ["smollm2-135m-shape", "tiny"];

    /// <summary>The configuration of a preset; an unknown name is a usage error.</summary>
    public static ModelConfig Preset(string name, int contextLength) => name switch
    {
        "smollm2-135m-shape" => new ModelConfig
        {
            Family = ModelFamily.Llama, ModelType = "llama", VocabSize = 49152, ContextLength = contextLength, DModel = 576, Layers = 30,
            Heads = 9, KvHeads = 3, DFf = 1536, TiedEmbeddings = true, RopeTheta = 100000, NormEps = 1e-5f,
        },
        "tiny" => new ModelConfig
        {
            Family = ModelFamily.Llama, ModelType = "llama", VocabSize = 2048, ContextLength = contextLength, DModel = 64, Layers = 2,
            Heads = 4, KvHeads = 2, DFf = 128, TiedEmbeddings = true,
        },
        _ => throw new UsageException($"unknown preset '{name}': expected one of {string.Join(", ", Presets)}"),
    };

    /// <summary>Random weights N(0, 0.02)-sized (uniform of the same deviation), norms 1, in <paramref name="format"/>.</summary>
    public static InferenceModel RandomModel(ModelConfig config, WeightFormat format, ulong seed = 1)
    {
        var (layout, w) = RandomWeights(config, seed);
        return new InferenceModel(layout, w, format);
    }

    /// <summary>The float32 arena <see cref="RandomModel"/> narrows (for writing the same weights elsewhere, e.g. a GGUF file).</summary>
    public static (ParameterLayout Layout, float[] Weights) RandomWeights(ModelConfig config, ulong seed = 1)
    {
        var layout = new ParameterLayout(config);
        var w = new float[layout.Count];
        var rng = new SplitMix64(seed);
        const float a = 0.02f * 1.7320508f;
        foreach (var t in layout.Tensors)
        {
            var s = w.AsSpan(t.Offset, t.Length);
            if (t.Shape.Length == 1) { s.Fill(1f); continue; }
            for (int i = 0; i < s.Length; i++) s[i] = (rng.NextFloat() * 2 - 1) * a;
        }
        return (layout, w);
    }

    /// <summary>
    /// Runs the measurements; <paramref name="log"/> gets progress lines. With <paramref name="profile"/>,
    /// single and batched decode are run once more with per-phase timers (after the timed runs, which stay untimed by phase).
    /// </summary>
    public static DecodeBenchmarkResult Run(string preset, WeightFormat format, int threads, int promptTokens = 512, int newTokens = 128,
        int batch = 8, Action<string>? log = null, bool profile = false)
    {
        if (threads < 1) throw new UsageException($"--threads must be at least 1, not {threads}");
        if (promptTokens < 1 || newTokens < 1 || batch < 1) throw new UsageException("prompt tokens, new tokens and batch must be positive");
        double load0 = LoadAverage();
        int capacity = promptTokens + newTokens;
        var config = Preset(preset, capacity);
        log?.Invoke($"building {preset} with random {format.Name()} weights");
        var model = RandomModel(config, format);
        using var pool = new WorkerPool(threads);
        log?.Invoke("measuring read bandwidth");
        double bandwidth = MemoryBandwidth.MeasureRead(pool);
        var rng = new Random(3);
        var prompt = Enumerable.Range(0, promptTokens).Select(_ => rng.Next(config.VocabSize)).ToArray();
        int v = config.VocabSize;

        var session = new InferenceSession(model, batch, capacity, pool, prefillChunk: Math.Min(promptTokens, 512));
        var logits = new float[batch * v];
        session.Prefill(0, prompt.AsSpan(0, Math.Min(16, promptTokens)), logits); // warm up
        double prefillBest = double.MaxValue;
        for (int i = 0; i < 2; i++)
        {
            session.Reset(0);
            long t0 = Stopwatch.GetTimestamp();
            session.Prefill(0, prompt, logits);
            prefillBest = Math.Min(prefillBest, Stopwatch.GetElapsedTime(t0).TotalSeconds);
        }
        double prefill = promptTokens / prefillBest;
        log?.Invoke($"prefill: {prefill:F1} tokens/s");

        double Decode(int n, DecodeProfile? phases = null)
        {
            session.Profile = phases;
            for (int s = 1; s < n; s++) session.CopySequence(0, s);
            var seqs = Enumerable.Range(0, n).ToArray();
            var next = new int[n];
            for (int s = 0; s < n; s++) next[s] = TinyArgMax(logits.AsSpan(0, v));
            long t0 = Stopwatch.GetTimestamp();
            for (int step = 0; step < newTokens; step++)
            {
                session.Step(seqs, next, logits.AsSpan(0, n * v));
                for (int s = 0; s < n; s++) next[s] = TinyArgMax(logits.AsSpan(s * v, v));
            }
            double sec = Stopwatch.GetElapsedTime(t0).TotalSeconds;
            for (int s = 0; s < n; s++) session.Truncate(s, promptTokens);
            session.Profile = null;
            return n * newTokens / sec;
        }
        double single = Decode(1);
        log?.Invoke($"decode: {single:F1} tokens/s");
        double batched = Decode(batch);
        log?.Invoke($"batched decode ({batch}): {batched:F1} tokens/s");
        DecodeProfile? singlePhases = null, batchedPhases = null;
        if (profile)
        {
            Decode(1, singlePhases = new DecodeProfile());
            Decode(batch, batchedPhases = new DecodeProfile());
            log?.Invoke("profile (ms per step): " + string.Join(", ", singlePhases.MillisecondsPerStep().Select(kv => $"{kv.Key} {kv.Value}")));
            log?.Invoke($"profile of a batch of {batch} (ms per step): " + string.Join(", ", batchedPhases.MillisecondsPerStep().Select(kv => $"{kv.Key} {kv.Value}")));
        }
        long bytes = model.WeightBytesPerToken;
        double gbps = bytes * single / 1e9;
        return new DecodeBenchmarkResult(preset, format.Name(), threads, model.Layout.Count, promptTokens, newTokens, Math.Round(prefill, 2),
            Math.Round(single, 2), batch, Math.Round(batched, 2), Math.Round(batched / single, 3), bytes, Math.Round(gbps, 3),
            Math.Round(bandwidth, 3), Math.Round(gbps / bandwidth, 3), [load0, LoadAverage()],
            singlePhases?.MillisecondsPerStep(), batchedPhases?.MillisecondsPerStep());
    }

    private static int TinyArgMax(ReadOnlySpan<float> x) => System.Numerics.Tensors.TensorPrimitives.IndexOfMax(x);

    /// <summary>The 1-minute load average from /proc/loadavg (NaN where there is none).</summary>
    public static double LoadAverage()
    {
        try
        {
            var text = File.ReadAllText("/proc/loadavg");
            return double.Parse(text.Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (IOException)
        {
            return double.NaN;
        }
        catch (UnauthorizedAccessException)
        {
            return double.NaN;
        }
    }
}
