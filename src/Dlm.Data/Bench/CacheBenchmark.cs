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

/// <summary>The figures of <see cref="CacheBenchmark.Run"/>.</summary>
/// <param name="Documents">Brown documents (corpus files).</param>
/// <param name="Bytes">Their UTF-8 size.</param>
/// <param name="TokenizeAllThreadsMbPerS">The tokenizer alone on the same documents, all threads (as <c>bench tokenize</c>).</param>
/// <param name="BuildMbPerS">Building the pretrain cache of those documents (read, tokenize, write shards and meta), best run.</param>
/// <param name="Threads">Threads used.</param>
/// <param name="MemoryInputBytes">Size of the generated input of the memory run (0: not run).</param>
/// <param name="PeakRssMb">Peak resident memory of the process after the memory run (VmHWM), in MB.</param>
/// <param name="MemoryBuildMbPerS">Build speed on the generated input.</param>
/// <param name="TokenizeCpuSeconds">Process CPU seconds of one all-threads encode pass over the documents (best round).</param>
/// <param name="BuildCpuSeconds">Process CPU seconds of one cache build of them (best round).</param>
public sealed record CacheBenchmarkResult(int Documents, long Bytes, double TokenizeAllThreadsMbPerS, double BuildMbPerS, int Threads,
    long MemoryInputBytes, double PeakRssMb, double MemoryBuildMbPerS, double TokenizeCpuSeconds, double BuildCpuSeconds)
{
    /// <summary>CPU seconds of tokenizing over CPU seconds of building (best of the rounds each): the same ratio, insensitive to other load.</summary>
    public double CpuRatio => TokenizeCpuSeconds / BuildCpuSeconds;

    /// <summary>Build speed over tokenizer speed (target at least 0.8).</summary>
    public double Ratio => BuildMbPerS / TokenizeAllThreadsMbPerS;
}

/// <summary>
/// Measures a Brown pretrain cache build against the tokenizer's all-threads rate on the same
/// documents in the same run, then (optionally) builds a cache from a generated input of the given
/// size to show memory stays flat.
/// </summary>
public static class CacheBenchmark
{
    /// <summary>
    /// Runs the benchmark in a temporary folder (removed afterwards): <paramref name="rounds"/> rounds of
    /// <see cref="TokenizerBenchmark.Run"/> (about <paramref name="seconds"/> per mode) then one cache build, after one warm-up build.
    /// </summary>
    public static CacheBenchmarkResult Run(string brownDir, TokenizerSettings tokenizer, int rounds, double seconds, long memoryInputBytes, Action<string>? log = null)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        var tok = CacheTokenizer.Load(tokenizer);
        var brown = new SourceSettings("brown", SourceKind.Brown, brownDir, new SourceOptions { ValTokens = 100_000 }, new SourceLocation("bench"));
        var docs = DocumentSources.Read(brown, 42, new SourceReadContext()).Select(d => d.Text).ToList();
        long bytes = docs.Sum(d => (long)Encoding.UTF8.GetByteCount(d));
        int threads = DataThreads.Resolve();
        log?.Invoke($"{docs.Count} Brown documents ({bytes / 1e6:F1} MB), {threads} threads, {rounds} rounds of tokenize then build");

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
            // Rounds alternate the two measurements so that load from other processes hits both alike;
            // the best of each is kept, as bench tokenize keeps its best pass.
            double best = double.MaxValue, tokenizeRate = 0, tokenizeCpu = double.MaxValue, buildCpu = double.MaxValue;
            var builder = new PretrainCacheBuilder();
            // A warm-up build, as the tokenizer measurement has its warm-up pass: JIT settles on the build's own code.
            builder.Build(new SourceBuildRequest(brown, settings, tok, Path.Combine(tmp, "pretrain", "brown"), threads, SilentProgress.Instance, default));
            for (int round = 0; round < rounds; round++)
            {
                var tb = TokenizerBenchmark.Run(tok.Tokenizer, docs, seconds);
                tokenizeRate = Math.Max(tokenizeRate, tb.AllThreadsMbPerS);
                // CPU time, unlike wall time, hardly depends on what else the machine runs.
                double c0 = Cpu();
                Parallel.For(0, docs.Count, new ParallelOptions { MaxDegreeOfParallelism = threads }, i => tok.Tokenizer.Encode(docs[i]));
                tokenizeCpu = Math.Min(tokenizeCpu, Cpu() - c0);
                // Each round builds afresh, as a first build does: removing the previous round's cache is not building one.
                var output = Path.Combine(tmp, "pretrain", "brown");
                if (Directory.Exists(output)) Directory.Delete(output, recursive: true);
                var sw = Stopwatch.StartNew();
                c0 = Cpu();
                builder.Build(new SourceBuildRequest(brown, settings, tok, output, threads, SilentProgress.Instance, default));
                buildCpu = Math.Min(buildCpu, Cpu() - c0);
                double s = sw.Elapsed.TotalSeconds;
                best = Math.Min(best, s);
                log?.Invoke($"round {round + 1}: tokenize {tb.AllThreadsMbPerS:F2} MB/s, build {bytes / 1e6 / s:F2} MB/s");
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
            return new CacheBenchmarkResult(docs.Count, bytes, tokenizeRate, bytes / 1e6 / best, threads, memoryInputBytes, peak, memRate, tokenizeCpu, buildCpu);
        }
        finally
        {
            try { Directory.Delete(tmp, recursive: true); } catch (IOException) { }
        }
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
