using System.Diagnostics;
using System.Text;

namespace Dlm.Tokenizers;

/// <summary>Encoding speed of a tokenizer over a list of texts, measured after a warm-up pass.</summary>
/// <param name="Lines">Number of texts encoded per pass.</param>
/// <param name="Bytes">Their total UTF-8 size.</param>
/// <param name="Tokens">Ids one pass produces.</param>
/// <param name="SingleThreadMbPerS">Megabytes (10^6 bytes) of UTF-8 per second on one thread (best pass).</param>
/// <param name="AllThreadsMbPerS">The same with every core encoding its share of the texts.</param>
/// <param name="TokensPerS">Ids per second on one thread.</param>
/// <param name="AllocBytesPerToken">Bytes allocated per id during a single-threaded pass with warm caches.</param>
/// <param name="Threads">Threads used for the all-threads figure.</param>
public sealed record TokenizerBenchmarkResult(int Lines, long Bytes, long Tokens, double SingleThreadMbPerS,
    double AllThreadsMbPerS, double TokensPerS, double AllocBytesPerToken, int Threads);

/// <summary>Times <see cref="Tokenizer.TryEncode"/> into a reused buffer, single-threaded and on all cores.</summary>
public static class TokenizerBenchmark
{
    /// <summary>Runs passes over <paramref name="lines"/> for about <paramref name="seconds"/> per mode.</summary>
    public static TokenizerBenchmarkResult Run(Tokenizer tokenizer, IReadOnlyList<string> lines, double seconds = 3)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        ArgumentNullException.ThrowIfNull(lines);
        long bytes = 0;
        foreach (var l in lines) bytes += Encoding.UTF8.GetByteCount(l);
        var buffer = new int[1 << 16];
        long tokens = Pass(tokenizer, lines, 0, lines.Count, ref buffer); // warm-up: caches fill, JIT settles

        long before = GC.GetAllocatedBytesForCurrentThread();
        Pass(tokenizer, lines, 0, lines.Count, ref buffer);
        double allocPerToken = (GC.GetAllocatedBytesForCurrentThread() - before) / (double)Math.Max(1, tokens);

        double best = Best(seconds, () => Pass(tokenizer, lines, 0, lines.Count, ref buffer));
        int threads = Environment.ProcessorCount;
        void Parallel() => AllThreadsPass(tokenizer, lines, threads);
        Parallel();
        double bestAll = Best(seconds, Parallel);
        return new TokenizerBenchmarkResult(lines.Count, bytes, tokens, bytes / 1e6 / best, bytes / 1e6 / bestAll,
            tokens / best, allocPerToken, threads);
    }

    /// <summary>
    /// One pass of the all-threads measurement: each of <paramref name="threads"/> workers encodes a
    /// contiguous share of <paramref name="lines"/> into its own reused buffer. Pool threads persist,
    /// so per-thread caches stay warm across passes. Returns the ids produced.
    /// </summary>
    public static long AllThreadsPass(Tokenizer tokenizer, IReadOnlyList<string> lines, int threads)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        ArgumentNullException.ThrowIfNull(lines);
        threads = Math.Max(1, threads);
        long tokens = 0;
        System.Threading.Tasks.Parallel.For(0, threads, new ParallelOptions { MaxDegreeOfParallelism = threads }, t =>
        {
            int from = (int)((long)lines.Count * t / threads), to = (int)((long)lines.Count * (t + 1) / threads);
            var b = new int[1 << 16];
            Interlocked.Add(ref tokens, Pass(tokenizer, lines, from, to, ref b));
        });
        return tokens;
    }

    private static double Best(double seconds, Action pass)
    {
        double best = double.MaxValue, total = 0;
        do
        {
            var sw = Stopwatch.StartNew();
            pass();
            double s = sw.Elapsed.TotalSeconds;
            best = Math.Min(best, s);
            total += s;
        } while (total < seconds);
        return best;
    }

    private static long Pass(Tokenizer tokenizer, IReadOnlyList<string> lines, int from, int to, ref int[] buffer)
    {
        long tokens = 0;
        for (int i = from; i < to; i++)
        {
            int n;
            while (!tokenizer.TryEncode(lines[i], buffer, out n)) buffer = new int[n * 2];
            tokens += n;
        }
        return tokens;
    }
}
