using System.Diagnostics;
using Dlm.Core;
using Dlm.Models.Config;
using Dlm.Models.Lora;
using Dlm.Models.Optim;
using Dlm.Models.Transformer;
using Dlm.Numerics.Gemm;

namespace Dlm.Models.Training;

/// <summary>What <c>dlm bench train</c> measured (steady-state steps only).</summary>
/// <param name="Preset">Preset name.</param>
/// <param name="Batch">Sequences per step.</param>
/// <param name="SeqLen">Tokens per sequence.</param>
/// <param name="Params">All parameters.</param>
/// <param name="MatmulParams">Weights that take part in a matrix multiply (the N of 6N).</param>
/// <param name="Steps">Timed steps.</param>
/// <param name="StepMs">Mean wall time per step.</param>
/// <param name="TokensPerSec">Trained tokens per second.</param>
/// <param name="FlopsPerToken">6N + 12·L·T·C (PaLM appendix B; the convention of bench_torch.py).</param>
/// <param name="Gflops">Achieved GFLOP/s by that count.</param>
/// <param name="GemmGflops">Rate of the GEMM backend on a 512³ product, as <c>dlm doctor</c> measures it.</param>
/// <param name="Mfu">Gflops / GemmGflops.</param>
/// <param name="AllocBytesPerStep">Managed bytes allocated per steady-state step, all threads.</param>
/// <param name="Gemm">GEMM backend name.</param>
/// <param name="Threads">Threads of the step's worker pool (and of the managed GEMM).</param>
/// <param name="LossFirst">Loss of the first step.</param>
/// <param name="LossLast">Loss of the last step.</param>
/// <param name="PhaseMs">Mean milliseconds per step in each phase of forward, backward and optimizer.</param>
/// <param name="CpuSPerStep">Process CPU seconds per step (all threads): less sensitive than wall time to a busy machine.</param>
/// <param name="LoadAvg1m">The 1-minute load average before and after (Linux; empty elsewhere).</param>
/// <param name="Lora">The adapters trained (<c>r=8 alpha=16 dropout=0.05 q_proj,k_proj,v_proj,o_proj</c>), or empty for full training.</param>
/// <param name="TrainableParams">Parameters the optimizer updates (all of them, or the adapters).</param>
/// <param name="Masked">The first half of each sequence had loss weight 0 (an SFT prompt): the LM head skips those rows.</param>
/// <param name="PeakRssMb">Peak resident memory of the whole process (VmHWM) at the end, in MB (0 where /proc is absent).</param>
/// <param name="GemmChoices">Under the per-shape GEMM: the backend each class of product shapes ran on, with the times that chose it (null otherwise).</param>
/// <param name="GemmByPhase">Under the per-shape GEMM: for each phase with top-level linear products, the backends they ran on
/// (<c>managed</c>, <c>openblas</c> or <c>managed+openblas</c>; the LM head by its first chunk; attention's block products are always managed).</param>
public sealed record TrainBenchmarkResult(string Preset, int Batch, int SeqLen, long Params, long MatmulParams, int Steps,
    double StepMs, double TokensPerSec, double FlopsPerToken, double Gflops, double GemmGflops, double Mfu,
    double AllocBytesPerStep, string Gemm, int Threads, double LossFirst, double LossLast, IReadOnlyDictionary<string, double> PhaseMs,
    double CpuSPerStep, IReadOnlyList<double> LoadAvg1m, string Lora, long TrainableParams, double PeakRssMb, bool Masked = false,
    IReadOnlyList<GemmShapeChoice>? GemmChoices = null, IReadOnlyDictionary<string, string>? GemmByPhase = null);

/// <summary>
/// Times full training steps (forward, backward, clip 1.0, AdamW lr 3e-4, betas (0.9, 0.95),
/// wd 0.1) of a preset model on seeded random batches, the same work as tools/reference/bench_torch.py
/// (niels presets) and tools/reference/bench_torch_llama.py (the SmolLM2 shape), on <see cref="TrainingGemm.Default"/>.
/// With LoRA only the adapters are trained (<see cref="BenchLora"/>: document training's defaults).
/// </summary>
public static partial class TrainBenchmark
{
    private static readonly Dictionary<string, (ModelConfig Config, int Batch)> PresetTable = new(StringComparer.Ordinal)
    {
        ["niels-default"] = (ModelConfig.NielsDefault(256), 8),
        ["niels-t512"] = (ModelConfig.NielsDefault(512), 8),
        ["niels-small"] = (ModelConfig.NielsDefault(128) with { VocabSize = 4096, DModel = 192, Layers = 4, Heads = 4, KvHeads = 4, DFf = 576 }, 8),
        ["niels-tiny"] = (ModelConfig.NielsDefault(64) with { VocabSize = 512, DModel = 64, Layers = 2, Heads = 2, KvHeads = 2, DFf = 192 }, 4),
        // SmolLM2-135M's layout (30 layers, hidden 576, 9 heads, 3 KV heads, MLP 1536, vocab 49152, tied) at T=512, 4 sequences.
        ["smollm2-135m-shape"] = (Generation.DecodeBenchmark.Preset("smollm2-135m-shape", 512), 4),
    };

    /// <summary>The adapters a <c>--lora</c> run trains: R2's document-training defaults (r 8, alpha 16, dropout 0.05) on q/k/v/o_proj.</summary>
    public static LoraConfig BenchLora { get; } = new(8, 16f, 0.05f, ["q_proj", "k_proj", "v_proj", "o_proj"]);

    private static string LoraDescription =>
        $"r={BenchLora.Rank} alpha={BenchLora.Alpha:0.##} dropout={BenchLora.Dropout:0.##} {string.Join(',', BenchLora.TargetModules)}";

    /// <summary>Preset names.</summary>
    public static IReadOnlyList<string> Presets => PresetTable.Keys.ToList();

    /// <summary>The model shape and batch size of a preset (other benchmarks time the same shape).</summary>
    public static (ModelConfig Config, int Batch) Preset(string name) =>
        PresetTable.TryGetValue(name, out var p) ? p : throw new DlmException($"unknown preset '{name}' (known: {string.Join(", ", PresetTable.Keys)})");

    private sealed class ConstantRate(float lr) : ILearningRateSchedule
    {
        public float At(int step) => lr;
    }

    /// <summary>
    /// Runs <paramref name="warmup"/> untimed steps, then <paramref name="steps"/> timed ones. <paramref name="seq"/>
    /// overrides the preset's sequence length; without <paramref name="batch"/> the batch then keeps the preset's
    /// tokens per step (at least one sequence). <paramref name="lora"/> trains <see cref="BenchLora"/> adapters only. With
    /// <paramref name="masked"/> the first half of every sequence has loss weight 0, as the prompt of an SFT example.
    /// </summary>
    /// <param name="preset">Preset name (<see cref="Presets"/>).</param>
    /// <param name="steps">Timed steps.</param>
    /// <param name="warmup">Untimed steps first.</param>
    /// <param name="progress">Progress lines.</param>
    /// <param name="lora">Train <see cref="BenchLora"/> adapters only.</param>
    /// <param name="seq">Sequence length instead of the preset's.</param>
    /// <param name="batch">Sequences per step instead of the preset's.</param>
    /// <param name="masked">Give the first half of every sequence loss weight 0.</param>
    /// <param name="threads">Threads of a pool of the step's own (and of its managed GEMM); null: the shared pool (<c>DLM_THREADS</c>).</param>
    public static TrainBenchmarkResult Run(string preset, int steps = 10, int warmup = 2, Action<string>? progress = null,
        bool lora = false, int? seq = null, int? batch = null, bool masked = false, int? threads = null)
    {
        if (steps <= 0 || warmup < 0) throw new DlmException("steps must be positive and warmup not negative");
        using var setup = Setup.Create(preset, lora, seq, batch, threads, progress);
        var (cfg, b, t, model, trainer) = (setup.Config, setup.Batch, setup.Seq, setup.Model, setup.Trainer);
        int n = b * t;
        var (tokens, targets, full, half) = setup.Batches();
        var weights = masked ? half : full;

        double lossFirst = 0, lossLast = 0;
        for (int s = 0; s < warmup; s++)
        {
            var r = trainer.TrainStep(tokens, targets, weights, b, t);
            progress?.Invoke($"warmup {s + 1}/{warmup}: loss {r.Loss:F4}");
        }
        model.ResetProfile();
        double loadBefore = LoadAverage();
        var cpu0 = Process.GetCurrentProcess().TotalProcessorTime;
        long optTicks = 0;
        long allocated = 0;
        var total = Stopwatch.StartNew();
        for (int s = 0; s < steps; s++)
        {
            // Counted around the step only: the progress line below is the caller's allocation.
            long allocBefore = GC.GetTotalAllocatedBytes(precise: true);
            model.ZeroGradients();
            var loss = model.Forward(tokens, targets, weights, b, t, training: true);
            model.Backward((float)(1.0 / loss.WeightSum));
            long o0 = Stopwatch.GetTimestamp();
            trainer.ApplyUpdate(loss.Mean);
            optTicks += Stopwatch.GetTimestamp() - o0;
            allocated += GC.GetTotalAllocatedBytes(precise: true) - allocBefore;
            if (s == 0) lossFirst = loss.Mean;
            lossLast = loss.Mean;
            progress?.Invoke($"step {s + 1}/{steps}: loss {loss.Mean:F4}");
        }
        total.Stop();
        double cpuPerStep = (Process.GetCurrentProcess().TotalProcessorTime - cpu0).TotalSeconds / steps;
        double loadAfter = LoadAverage();

        long matmul = MatmulParams(model);
        double flopsPerToken = FlopsPerToken(model, lora, t);
        double stepS = total.Elapsed.TotalSeconds / steps;
        double tps = n / stepS;
        double gflops = flopsPerToken * tps / 1e9;
        // The per-shape mix has no rate of its own on a square product: MFU is against the managed kernel's.
        double gemmRate = GemmRate.Measure(model.Gemm is PerShapeGemm ps ? ps.Managed : model.Gemm);
        var phases = new SortedDictionary<string, double>(StringComparer.Ordinal);
        foreach (var (name, sec) in model.Profile()) phases[name] = sec * 1000 / steps;
        phases["optimizer"] = optTicks * 1000.0 / Stopwatch.Frequency / steps;
        return new TrainBenchmarkResult(preset, b, t, model.Layout.Count, matmul, steps, stepS * 1000, tps, flopsPerToken, gflops,
            gemmRate, gflops / gemmRate, allocated / (double)steps, model.Gemm.Name, model.Pool.Threads, lossFirst, lossLast, phases,
            cpuPerStep, double.IsNaN(loadBefore) ? [] : [loadBefore, loadAfter],
            lora ? LoraDescription : "",
            model.TrainableWeights.Length, PeakRssMb(), masked, (model.Gemm as PerShapeGemm)?.Choices,
            model.Gemm is PerShapeGemm psg ? BackendsByPhase(psg, model, cfg, n, masked ? n - b * (t / 2) : n, lora) : null);
    }

    // The weights of every matrix multiply: N of 6N (the tied head once, the embedding lookup not at all).
    private static long MatmulParams(TransformerModel model)
    {
        var cfg = model.Config;
        long matmul = cfg.TiedEmbeddings ? (long)cfg.VocabSize * cfg.DModel : 0; // an untied head is counted below
        foreach (var tns in model.Layout.Tensors)
            if (tns.Shape.Length == 2 && tns.Offset != model.Layout.Wte && tns.Offset != model.Layout.Wpe) matmul += tns.Length;
        return matmul;
    }

    // 6N + 12·L·T·C; under LoRA the frozen weights get no gradient: forward and the input gradient, 4N (the adapters are negligible).
    private static double FlopsPerToken(TransformerModel model, bool lora, int t) =>
        (lora ? 4.0 : 6.0) * MatmulParams(model) + 12.0 * model.Config.Layers * t * model.Config.DModel;

    // The products of each phase with linears, as TransformerModel issues them (W stored out×in): forward
    // Y = X·Wᵀ, backward dX = dY·W and, unless the weight is frozen (LoRA), dW += dYᵀ·X.
    private static SortedDictionary<string, string> BackendsByPhase(PerShapeGemm g, TransformerModel model, ModelConfig cfg, int n, int weighted, bool lora)
    {
        int c = cfg.DModel, hd = cfg.ResolvedHeadDim, qd = cfg.Heads * hd, qkv = (cfg.Heads + 2 * cfg.KvHeads) * hd;
        bool rms = cfg.Family != ModelFamily.Gpt2;
        int fc = rms ? 2 * cfg.DFf : cfg.DFf, head = Math.Min(model.HeadChunkRows, weighted);
        var map = new SortedDictionary<string, string>(StringComparer.Ordinal);
        void Add(string phase, int rows, int inF, int outF, bool weightGrad, bool firstOverwrites = false)
        {
            var used = new SortedSet<string>(StringComparer.Ordinal);
            void One(bool ta, bool tb, int m, int nn, int k, bool acc) => used.Add(g.BackendFor(ta, tb, m, nn, k, acc) ?? "undecided");
            One(false, true, rows, outF, inF, false);
            map[phase + ".forward"] = string.Join('+', used);
            used.Clear();
            One(false, false, rows, inF, outF, false);
            if (weightGrad) One(true, false, outF, inF, rows, true);
            if (weightGrad && firstOverwrites) One(true, false, outF, inF, rows, false); // the head's first chunk writes its dW buffer
            map[phase + ".backward"] = string.Join('+', used);
        }
        Add("qkv", n, c, qkv, !lora);
        Add("outproj", n, qd, c, !lora);
        Add("mlpup", n, c, fc, !lora);
        Add("mlpdown", n, cfg.DFf, c, !lora);
        if (head > 0) Add("lmhead", head, c, cfg.VocabSize, !lora, firstOverwrites: true);
        return map;
    }

    // VmHWM of /proc/self/status: the peak resident set of the process so far.
    private static double PeakRssMb()
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/self/status"))
                if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                    return long.Parse(line["VmHWM:".Length..].Trim().Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture) / 1024.0;
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
        return 0;
    }

    private static double LoadAverage()
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
