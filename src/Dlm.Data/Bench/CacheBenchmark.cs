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

/// <summary>One round of <see cref="CacheBenchmark.Run"/>: one all-threads encode pass and one cache build, back to back.</summary>
/// <param name="TokenizeSeconds">Wall time of the encode pass.</param>
/// <param name="TokenizeCpuSeconds">Process CPU time of the encode pass.</param>
/// <param name="BuildSeconds">Wall time of the build (read, strip, tokenize, write shards and meta.json, flush to disk).</param>
/// <param name="BuildCpuSeconds">Process CPU time of the build.</param>
public sealed record CacheBenchmarkRound(double TokenizeSeconds, double TokenizeCpuSeconds, double BuildSeconds, double BuildCpuSeconds)
{
    /// <summary>Build rate over tokenize rate in this round (the same bytes: tokenize time over build time).</summary>
    public double Ratio => TokenizeSeconds / BuildSeconds;

    /// <summary>The same with CPU time, which other processes' load moves much less than wall time.</summary>
    public double CpuRatio => TokenizeCpuSeconds / BuildCpuSeconds;
}

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
    /// <summary>The tokenizer alone on the documents, all threads (<c>bench tokenize</c>'s pass): median round.</summary>
    public double TokenizeAllThreadsMbPerS => Bytes / 1e6 / Median(Rounds.Select(r => r.TokenizeSeconds));

    /// <summary>Building the pretrain cache of the same documents from the corpus files: median round.</summary>
    public double BuildMbPerS => Bytes / 1e6 / Median(Rounds.Select(r => r.BuildSeconds));

    /// <summary>Median of the rounds' build-over-tokenize ratios (target at least 0.8).</summary>
    public double Ratio => Median(Rounds.Select(r => r.Ratio));

    /// <summary>Median of the rounds' CPU-time ratios (tokenize CPU seconds over build CPU seconds).</summary>
    public double CpuRatio => Median(Rounds.Select(r => r.CpuRatio));

    /// <summary>Median CPU seconds of one encode pass.</summary>
    public double TokenizeCpuSeconds => Median(Rounds.Select(r => r.TokenizeCpuSeconds));

    /// <summary>Median CPU seconds of one build.</summary>
    public double BuildCpuSeconds => Median(Rounds.Select(r => r.BuildCpuSeconds));

    private static double Median(IEnumerable<double> values)
    {
        var v = values.Order().ToArray();
        if (v.Length == 0) return double.NaN;
        return v.Length % 2 == 1 ? v[v.Length / 2] : (v[v.Length / 2 - 1] + v[v.Length / 2]) / 2;
    }
}

/// <summary>
/// Measures a Brown pretrain cache build against the tokenizer's all-threads rate on the same
/// documents in the same run, then (optionally) builds a cache from a generated input of the given
/// size to show memory stays flat.
/// </summary>
/// <remarks>
/// Both sides see the same text: the tokenizer side encodes the documents the Brown source yields
/// (read once, tags stripped by the same code), the build reads and strips the corpus files itself
/// each time, as a real build does. The measurement is paired: each round times one encode pass
/// (<see cref="TokenizerBenchmark.AllThreadsPass"/>, <c>bench tokenize</c>'s all-threads pass) and
/// one build back to back, in alternating order, so that load from other processes hits both alike;
/// the ratios are the medians of the rounds' ratios, not a best pass against a best build.
/// </remarks>
public static class CacheBenchmark
{
    /// <summary>
    /// Runs the benchmark in a temporary folder (removed afterwards): two warm-up rounds (the
    /// tokenizer's caches fill, the JIT settles on both sides' code), then <paramref name="rounds"/> paired rounds.
    /// </summary>
    public static CacheBenchmarkResult Run(string brownDir, TokenizerSettings tokenizer, int rounds, long memoryInputBytes, Action<string>? log = null)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        rounds = Math.Max(1, rounds);
        var tok = CacheTokenizer.Load(tokenizer);
        var brown = new SourceSettings("brown", SourceKind.Brown, brownDir, new SourceOptions { ValTokens = 100_000 }, new SourceLocation("bench"));
        var docs = DocumentSources.Read(brown, 42, new SourceReadContext()).Select(d => d.Text).ToList();
        long bytes = docs.Sum(d => (long)Encoding.UTF8.GetByteCount(d));
        int threads = DataThreads.Resolve();
        log?.Invoke($"{docs.Count} Brown documents ({bytes / 1e6:F1} MB after stripping tags), {threads} threads, {rounds} paired rounds of tokenize and build");

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
            (double Wall, double Cpu) Tokenize() => Timed(() => TokenizerBenchmark.AllThreadsPass(tok.Tokenizer, docs, threads));
            (double Wall, double Cpu) Build()
            {
                // Each round builds afresh, as a first build does: removing the previous round's cache is not building one.
                if (Directory.Exists(output)) Directory.Delete(output, recursive: true);
                return Timed(() => builder.Build(new SourceBuildRequest(brown, settings, tok, output, threads, SilentProgress.Instance, default)));
            }

            for (int i = 0; i < 2; i++)
            {
                Tokenize();
                Build();
            }
            var measured = new List<CacheBenchmarkRound>();
            for (int round = 0; round < rounds; round++)
            {
                (double Wall, double Cpu) t, b;
                if (round % 2 == 0) { t = Tokenize(); b = Build(); }
                else { b = Build(); t = Tokenize(); }
                var r = new CacheBenchmarkRound(t.Wall, t.Cpu, b.Wall, b.Cpu);
                measured.Add(r);
                log?.Invoke(string.Create(CultureInfo.InvariantCulture,
                    $"round {round + 1}: tokenize {bytes / 1e6 / t.Wall:F2} MB/s ({t.Cpu:F3} s CPU), build {bytes / 1e6 / b.Wall:F2} MB/s ({b.Cpu:F3} s CPU), ratio {r.Ratio:F3}, CPU ratio {r.CpuRatio:F3}"));
            }

            double peak = 0, memRate = 0;
            if (memoryInputBytes > 0)
            {
                var big = Path.Combine(tmp, "big.txt");
                log?.Invoke($"writing a {memoryInputBytes / 1e6:F0} MB input from Brown lines");
                using (var w = new StreamWriter(big, false, new UTF8Encoding(false), 1 << 20))
                {
                    long written = 0;
                    while (written < memoryInputBytes)
                        foreach (var d in docs)
                        {
                            foreach (var line in d.Split('\n')) { w.Write(line); w.Write('\n'); written += Encoding.UTF8.GetByteCount(line) + 1; }
                            if (written >= memoryInputBytes) break;
                        }
                }
                var lines = new SourceSettings("big", SourceKind.Lines, big, new SourceOptions { ValTokens = 1_000_000 }, new SourceLocation("bench"));
                var sw = Stopwatch.StartNew();
                builder.Build(new SourceBuildRequest(lines, settings with { ShardBytes = 128L << 20 }, tok, Path.Combine(tmp, "pretrain", "big"), threads, SilentProgress.Instance, default));
                memRate = new FileInfo(big).Length / 1e6 / sw.Elapsed.TotalSeconds;
                peak = PeakRssMb();
            }
            return new CacheBenchmarkResult(docs.Count, bytes, threads, measured, memoryInputBytes, peak, memRate);
        }
        finally
        {
            try { Directory.Delete(tmp, recursive: true); } catch (IOException) { }
        }
    }

    // Wall and process CPU seconds of one run of action, from the same start (after a collection, so both sides start with an empty young generation).
    private static (double Wall, double Cpu) Timed(Action action)
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        double c0 = Cpu();
        var sw = Stopwatch.StartNew();
        action();
        double wall = sw.Elapsed.TotalSeconds;
        return (wall, Cpu() - c0);
    }

    private static double Cpu() => Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds;

    private static double PeakRssMb()
    {
        foreach (var line in File.ReadLines("/proc/self/status"))
            if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                return double.Parse(line[6..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) / 1024.0;
        return Process.GetCurrentProcess().PeakWorkingSet64 / 1048576.0;
    }
}
