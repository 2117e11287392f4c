using System.Text.Json.Serialization;
using Dlm.Core;
using Dlm.Models.Config;
using Dlm.Models.Layers;
using Dlm.Models.Transformer;
using Dlm.Numerics.Kernels;

namespace Dlm.Models.Generation;

/// <summary>What one round of <see cref="DecodeBenchmarkRig.Measure"/> measured, or the median of rounds (<see cref="DecodeBenchmark.Median"/>).</summary>
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
    /// Builds the model and the session once, for <see cref="DecodeBenchmarkRig.Measure"/> to time as many rounds as asked
    /// (a reference can run between rounds, so each ratio compares measurements minutes apart at most).
    /// </summary>
    public static DecodeBenchmarkRig Open(string preset, WeightFormat format, int threads, int promptTokens = 512, int newTokens = 128,
        int batch = 8, Action<string>? log = null)
    {
        if (threads < 1) throw new UsageException($"--threads must be at least 1, not {threads}");
        if (promptTokens < 1 || newTokens < 1 || batch < 1) throw new UsageException("prompt tokens, new tokens and batch must be positive");
        var config = Preset(preset, promptTokens + newTokens);
        log?.Invoke($"building {preset} with random {format.Name()} weights");
        return new DecodeBenchmarkRig(preset, format, RandomModel(config, format), threads, promptTokens, newTokens, batch, log);
    }

    /// <summary>
    /// The rounds summarised: each rate and bandwidth is its median over the rounds, the batched speedup and the bandwidth
    /// fraction the medians of each round's own ratio, the load average the first round's before and the last's after,
    /// the phase profiles the last round's that has them.
    /// </summary>
    public static DecodeBenchmarkResult Median(IReadOnlyList<DecodeBenchmarkResult> rounds)
    {
        ArgumentNullException.ThrowIfNull(rounds);
        if (rounds.Count == 0) throw new ArgumentException("no rounds to summarise", nameof(rounds));
        double M(Func<DecodeBenchmarkResult, double> f) => Math.Round(Statistics.Median(rounds.Select(f)), 3);
        var profiled = rounds.LastOrDefault(r => r.ProfileMsPerStep is not null);
        return rounds[0] with
        {
            PrefillTokensPerS = M(r => r.PrefillTokensPerS), DecodeTokensPerS = M(r => r.DecodeTokensPerS),
            BatchedDecodeTokensPerS = M(r => r.BatchedDecodeTokensPerS), BatchedSpeedup = M(r => r.BatchedSpeedup),
            BandwidthGbPerS = M(r => r.BandwidthGbPerS), MeasuredReadBandwidthGbPerS = M(r => r.MeasuredReadBandwidthGbPerS),
            BandwidthFraction = M(r => r.BandwidthFraction), LoadAvg1m = [rounds[0].LoadAvg1m[0], rounds[^1].LoadAvg1m[^1]],
            ProfileMsPerStep = profiled?.ProfileMsPerStep, BatchedProfileMsPerStep = profiled?.BatchedProfileMsPerStep,
        };
    }

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
