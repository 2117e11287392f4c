using System.Diagnostics;
using System.Globalization;
using System.Text;
using Dlm.Core;
using Dlm.Data.Build;
using Dlm.Data.Caches;
using Dlm.Data.Settings;
using Dlm.Data.Sources;
using Dlm.Tokenizers;

namespace Dlm.Data.Bench;

/// <summary>
/// One round of <see cref="CacheBenchmark.Run"/>: as many all-threads encode passes and cache
/// builds, interleaved, each side's times summed over the round.
/// </summary>
/// <param name="TokenizeSeconds">Wall time of the round's encode passes.</param>
/// <param name="TokenizeCpuSeconds">Process CPU time of the encode passes.</param>
/// <param name="BuildSeconds">Wall time of the round's builds (read, strip, tokenize, write shards and meta.json, flush to disk).</param>
/// <param name="BuildCpuSeconds">Process CPU time of the builds.</param>
/// <param name="JitMilliseconds">Time the JIT spent compiling during the round (both sides; near 0 once warm).</param>
public sealed record CacheBenchmarkRound(double TokenizeSeconds, double TokenizeCpuSeconds, double BuildSeconds, double BuildCpuSeconds,
    double JitMilliseconds = 0)
{
    /// <summary>Build rate over tokenize rate in this round (the same bytes: tokenize time over build time).</summary>
    public double Ratio => TokenizeSeconds / BuildSeconds;

    /// <summary>The same with CPU time, which other processes' load moves much less than wall time.</summary>
    public double CpuRatio => TokenizeCpuSeconds / BuildCpuSeconds;
}

/// <summary>Median thread CPU seconds of each stage of a profiled build (<see cref="BuildProfile"/>), and the rest of the process's.</summary>
/// <param name="Builds">Profiled builds (after the measured rounds).</param>
/// <param name="Phases">Median seconds per stage.</param>
/// <param name="ProcessCpuSeconds">Median process CPU seconds of a profiled build.</param>
/// <param name="OtherSeconds">Median process CPU not charged to a stage (runtime threads, background flushes, waits, the clocks themselves).</param>
public sealed record CacheBuildProfileSummary(int Builds, IReadOnlyDictionary<BuildPhase, double> Phases, double ProcessCpuSeconds, double OtherSeconds);

/// <summary>The figures of <see cref="CacheBenchmark.Run"/>: every round, and their medians.</summary>
/// <param name="Documents">Brown documents (corpus files).</param>
/// <param name="Bytes">Their UTF-8 size after stripping the tags: the text both sides tokenize.</param>
/// <param name="Threads">Threads of both sides.</param>
/// <param name="Rounds">The measured rounds, in order (after the warm-up).</param>
/// <param name="MemoryInputBytes">Size of the generated input of the memory run (0: not run).</param>
/// <param name="PeakRssMb">Peak resident memory of the process after the memory run (VmHWM), in MB.</param>
/// <param name="MemoryBuildMbPerS">Build speed on the generated input.</param>
public sealed record CacheBenchmarkResult(int Documents, long Bytes, int Threads, IReadOnlyList<CacheBenchmarkRound> Rounds,
    long MemoryInputBytes, double PeakRssMb, double MemoryBuildMbPerS)
{
    /// <summary>Builds (and encode passes) per round.</summary>
    public int BuildsPerRound { get; init; } = 1;

    /// <summary>Warm-up pairs (one pass and one build) run before the measured rounds.</summary>
    public int WarmupPairs { get; init; }

    /// <summary>Whether the warm-up ended because the JIT had settled (false: it hit its limit first).</summary>
    public bool JitSettled { get; init; }

    /// <summary>The per-stage profile, when asked for.</summary>
    public CacheBuildProfileSummary? Profile { get; init; }

    /// <summary>The tokenizer alone on the documents, all threads (<c>bench tokenize</c>'s pass): median round.</summary>
    public double TokenizeAllThreadsMbPerS => Bytes * (double)BuildsPerRound / 1e6 / Statistics.Median(Rounds.Select(r => r.TokenizeSeconds));

    /// <summary>Building the pretrain cache of the same documents from the corpus files: median round.</summary>
    public double BuildMbPerS => Bytes * (double)BuildsPerRound / 1e6 / Statistics.Median(Rounds.Select(r => r.BuildSeconds));

    /// <summary>Median of the rounds' build-over-tokenize ratios (target at least 0.8).</summary>
    public double Ratio => Statistics.Median(Rounds.Select(r => r.Ratio));

    /// <summary>Median of the rounds' CPU-time ratios (tokenize CPU seconds over build CPU seconds).</summary>
    public double CpuRatio => Statistics.Median(Rounds.Select(r => r.CpuRatio));

    /// <summary>Median CPU seconds of one encode pass.</summary>
    public double TokenizeCpuSeconds => Statistics.Median(Rounds.Select(r => r.TokenizeCpuSeconds)) / BuildsPerRound;

    /// <summary>Median CPU seconds of one build.</summary>
    public double BuildCpuSeconds => Statistics.Median(Rounds.Select(r => r.BuildCpuSeconds)) / BuildsPerRound;
}

/// <summary>How <see cref="CacheBenchmark.Run"/> measures.</summary>
public sealed record CacheBenchmarkOptions
{
    /// <summary>Measured rounds; the medians of their ratios count.</summary>
    public int Rounds { get; init; } = 7;

    /// <summary>Seconds each side of a round should last at least: a round holds as many passes and builds as that takes (one Brown pass lasts ~0.12 s).</summary>
    public double RoundSeconds { get; init; } = 1.0;

    /// <summary>Most warm-up pairs; the warm-up stops earlier once the JIT has settled.</summary>
    public int MaxWarmupPairs { get; init; } = 80;

    /// <summary>Size of the generated input of the memory run (0 skips it).</summary>
    public long MemoryInputBytes { get; init; }

    /// <summary>Also run as many profiled builds as rounds and report their per-stage CPU.</summary>
    public bool Profile { get; init; }
}

/// <summary>
/// Measures a Brown pretrain cache build against the tokenizer's all-threads rate on the same
/// documents in the same run, then (optionally) builds a cache from a generated input of the given
/// size to show memory stays flat.
/// </summary>
/// <remarks>
/// Both sides see the same text: the tokenizer side encodes the documents the Brown source yields
/// (read once, tags stripped by the same code), the build reads and strips the corpus files itself
/// each time, as a real build does. The measurement is paired and interleaved: each round holds as
/// many encode passes (<see cref="TokenizerBenchmark.AllThreadsPass"/>, <c>bench tokenize</c>'s
/// all-threads pass) and builds as make each side last <see cref="CacheBenchmarkOptions.RoundSeconds"/>,
/// one pass and one build after the other in alternating order, so that load from other processes
/// hits both alike; the ratios are the medians of the rounds' ratios. Before the rounds, pairs of
/// one pass and one build run until the JIT has settled: the tiered JIT moves a method to optimised
/// code after 30 calls, and a build calls many methods once (files, folders, meta.json), so for the
/// first ~35 builds it spends tens of milliseconds of a build's CPU compiling, which a real build's
/// bytes do not cost.
/// </remarks>
public static class CacheBenchmark
{
    /// <summary>JIT time below which a warm-up pair counts as settled.</summary>
    private const double SettledJitMilliseconds = 1.0;

    /// <summary>Consecutive settled pairs that end the warm-up.</summary>
    private const int SettledPairs = 5;

    /// <summary>
    /// Runs the benchmark in a temporary folder (removed afterwards): warm-up pairs until the JIT
    /// has settled, then <see cref="CacheBenchmarkOptions.Rounds"/> measured rounds, then the
    /// profiled builds and the memory run when asked for.
    /// </summary>
    public static CacheBenchmarkResult Run(string brownDir, TokenizerSettings tokenizer, CacheBenchmarkOptions options, Action<string>? log = null)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        ArgumentNullException.ThrowIfNull(options);
        int rounds = Math.Max(1, options.Rounds);
        var tok = CacheTokenizer.Load(tokenizer);
        var brown = new SourceSettings("brown", SourceKind.Brown, brownDir, new SourceOptions { ValTokens = 100_000 }, new SourceLocation("bench"));
        var docs = DocumentSources.Read(brown, 42, new SourceReadContext()).Select(d => d.Text).ToList();
        long bytes = docs.Sum(d => (long)Encoding.UTF8.GetByteCount(d));
        int threads = DataThreads.Resolve();
        log?.Invoke($"{docs.Count} Brown documents ({bytes / 1e6:F1} MB after stripping tags), {threads} threads");

        var tmp = Path.Combine(Path.GetTempPath(), "dlm-bench-cache-" + Guid.NewGuid().ToString("N"));
        try
        {
            var settings = new DataSettings
            {
                PretrainRoot = Path.Combine(tmp, "pretrain"),
                SftRoot = Path.Combine(tmp, "sft"),
                Tokenizer = tokenizer,
                Sources = new Dictionary<string, SourceSettings> { ["brown"] = brown },
                MixPretrain = new Mix([new("brown", 1.0)]),
                MixSft = new Mix([]),
            };
            var builder = new PretrainCacheBuilder();
            var output = Path.Combine(tmp, "pretrain", "brown");
            Sample Tokenize() => Timed(() => TokenizerBenchmark.AllThreadsPass(tok.Tokenizer, docs, threads));
            Sample Build(BuildProfile? profile = null)
            {
                // Each build starts afresh, as a first build does: removing the previous one's cache is not building one.
                if (Directory.Exists(output)) Directory.Delete(output, recursive: true);
                return Timed(() => builder.Build(new SourceBuildRequest(brown, settings, tok, output, threads, SilentProgress.Instance, default) { Profile = profile }));
            }

            // Warm-up: pairs until SettledPairs in a row compiled (almost) nothing.
            int warmup = 0, settledRun = 0;
            Sample lastT = default, lastB = default;
            while (warmup < Math.Max(2, options.MaxWarmupPairs) && settledRun < SettledPairs)
            {
                double jit0 = JitMilliseconds();
                lastT = Tokenize();
                lastB = Build();
                warmup++;
                settledRun = JitMilliseconds() - jit0 < SettledJitMilliseconds ? settledRun + 1 : 0;
            }
            bool settled = settledRun >= SettledPairs;
            int perRound = Math.Clamp((int)Math.Ceiling(options.RoundSeconds / Math.Max(1e-3, Math.Min(lastT.Wall, lastB.Wall))), 1, 100);
            log?.Invoke(string.Create(CultureInfo.InvariantCulture,
                $"warm-up: {warmup} pairs ({(settled ? "JIT settled" : "JIT still compiling at the limit")}); {rounds} rounds of {perRound} encode passes and {perRound} builds, interleaved"));

            var measured = new List<CacheBenchmarkRound>();
            for (int round = 0; round < rounds; round++)
            {
                double tw = 0, tc = 0, bw = 0, bc = 0, jit0 = JitMilliseconds();
                for (int i = 0; i < perRound; i++)
                {
                    Sample t, b;
                    if ((round * perRound + i) % 2 == 0) { t = Tokenize(); b = Build(); }
                    else { b = Build(); t = Tokenize(); }
                    (tw, tc, bw, bc) = (tw + t.Wall, tc + t.Cpu, bw + b.Wall, bc + b.Cpu);
                }
                var r = new CacheBenchmarkRound(tw, tc, bw, bc, JitMilliseconds() - jit0);
                measured.Add(r);
                double mb = bytes * (double)perRound / 1e6;
                log?.Invoke(string.Create(CultureInfo.InvariantCulture,
                    $"round {round + 1}: tokenize {mb / tw:F2} MB/s ({tc / perRound:F3} s CPU per pass), build {mb / bw:F2} MB/s ({bc / perRound:F3} s CPU per build), ratio {r.Ratio:F3}, CPU ratio {r.CpuRatio:F3}, JIT {r.JitMilliseconds:F1} ms"));
            }

            CacheBuildProfileSummary? profileSummary = null;
            if (options.Profile)
            {
                var profiles = new List<(BuildProfile Profile, double Cpu)>();
                for (int i = 0; i < rounds; i++)
                {
                    var p = new BuildProfile();
                    profiles.Add((p, Build(p).Cpu));
                }
                var phases = Enum.GetValues<BuildPhase>().ToDictionary(ph => ph, ph => Statistics.Median(profiles.Select(x => x.Profile.Seconds(ph))));
                profileSummary = new CacheBuildProfileSummary(profiles.Count, phases, Statistics.Median(profiles.Select(x => x.Cpu)),
                    Statistics.Median(profiles.Select(x => x.Cpu - x.Profile.Total)));
                log?.Invoke("profiled build (thread CPU ms, median of " + profiles.Count + "): "
                    + string.Join(", ", phases.Select(kv => string.Create(CultureInfo.InvariantCulture, $"{kv.Key} {kv.Value * 1e3:F1}")))
                    + string.Create(CultureInfo.InvariantCulture, $", other {profileSummary.OtherSeconds * 1e3:F1}, process {profileSummary.ProcessCpuSeconds * 1e3:F1}"));
            }

            double peak = 0, memRate = 0;
            if (options.MemoryInputBytes > 0)
            {
                var big = Path.Combine(tmp, "big.txt");
                log?.Invoke($"writing a {options.MemoryInputBytes / 1e6:F0} MB input from Brown lines");
                using (var w = new StreamWriter(big, false, new UTF8Encoding(false), 1 << 20))
                {
                    long written = 0;
                    while (written < options.MemoryInputBytes)
                        foreach (var d in docs)
                        {
                            foreach (var line in d.Split('\n')) { w.Write(line); w.Write('\n'); written += Encoding.UTF8.GetByteCount(line) + 1; }
                            if (written >= options.MemoryInputBytes) break;
                        }
                }
                var lines = new SourceSettings("big", SourceKind.Lines, big, new SourceOptions { ValTokens = 1_000_000 }, new SourceLocation("bench"));
                var sw = Stopwatch.StartNew();
                builder.Build(new SourceBuildRequest(lines, settings with { ShardBytes = 128L << 20 }, tok, Path.Combine(tmp, "pretrain", "big"), threads, SilentProgress.Instance, default));
                memRate = new FileInfo(big).Length / 1e6 / sw.Elapsed.TotalSeconds;
                peak = PeakRssMb();
            }
            return new CacheBenchmarkResult(docs.Count, bytes, threads, measured, options.MemoryInputBytes, peak, memRate)
            {
                BuildsPerRound = perRound,
                WarmupPairs = warmup,
                JitSettled = settled,
                Profile = profileSummary,
            };
        }
        finally
        {
            try { Directory.Delete(tmp, recursive: true); } catch (IOException) { }
        }
    }

    private readonly record struct Sample(double Wall, double Cpu);

    // Wall and process CPU seconds of one run of action, from the same start (after a collection, so both sides start with an empty young generation).
    private static Sample Timed(Action action)
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        double c0 = Cpu();
        var sw = Stopwatch.StartNew();
        action();
        double wall = sw.Elapsed.TotalSeconds;
        return new Sample(wall, Cpu() - c0);
    }

    // Nanosecond process CPU where libc gives it; Process.TotalProcessorTime (10 ms ticks on Linux) elsewhere.
    private static double Cpu() => CpuClock.IsAvailable ? CpuClock.ProcessSeconds() : Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds;

    private static double JitMilliseconds() => System.Runtime.JitInfo.GetCompilationTime().TotalMilliseconds;

    private static double PeakRssMb()
    {
        foreach (var line in File.ReadLines("/proc/self/status"))
            if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                return double.Parse(line[6..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) / 1024.0;
        return Process.GetCurrentProcess().PeakWorkingSet64 / 1048576.0;
    }
}
