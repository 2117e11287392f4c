using Dlm.Core;
using Dlm.Data.Sources;

namespace Dlm.Data.Readers;

/// <summary>
/// Random training windows from several pretrain caches by mix weight (REFERENCE.md R1): for each of
/// the B rows, a source drawn by weight (sources in sorted name order), then a shard weighted by its
/// length among those of at least T+1 tokens, then a uniform start in [0, len - T - 1]; the window is
/// T+1 tokens, <c>x = w[:-1]</c>, <c>y = w[1:]</c>. A window never crosses shards. Deterministic for a
/// seed (validation uses a fixed seed the same way).
/// </summary>
public sealed class PretrainBatchSampler
{
    private readonly (string Name, double Cumulative, TokenShard[] Shards, long[] CumulativeLengths)[] _sources;
    private readonly SeededRandom _rng;
    private readonly int[] _window;

    /// <summary>A sampler over <paramref name="sources"/> (name → (weight, cache)) for context length <paramref name="contextLength"/>.</summary>
    /// <exception cref="DlmException">A source has no shard of at least T+1 tokens, or no weight is positive.</exception>
    public PretrainBatchSampler(IReadOnlyDictionary<string, (double Weight, PretrainCache Cache)> sources, int contextLength, long seed)
    {
        ArgumentNullException.ThrowIfNull(sources);
        ArgumentOutOfRangeException.ThrowIfLessThan(contextLength, 1);
        ContextLength = contextLength;
        double total = sources.Values.Sum(s => s.Weight);
        if (!(total > 0)) throw new DlmException("pretrain mix: no source has a positive weight");
        double acc = 0;
        var list = new List<(string, double, TokenShard[], long[])>();
        foreach (var name in sources.Keys.Order(StringComparer.Ordinal))
        {
            var (w, cache) = sources[name];
            var shards = cache.UsableShards(contextLength + 1).ToArray();
            if (shards.Length == 0)
                throw new DlmException($"pretrain source {name}: no {cache.Split} shard holds {contextLength + 1} tokens (T+1); {cache.Tokens} tokens in all");
            var cum = new long[shards.Length];
            long c = 0;
            for (int i = 0; i < shards.Length; i++) cum[i] = c += shards[i].Length;
            acc += w / total;
            list.Add((name, acc, shards, cum));
        }
        _sources = [.. list];
        _rng = new SeededRandom(seed);
        _window = new int[contextLength + 1];
    }

    /// <summary>The state of the sampler's generator: saved with a checkpoint and set back on resume, so the batches continue exactly.</summary>
    public ulong RngState
    {
        get => _rng.State;
        set => _rng.State = value;
    }

    /// <summary>T: tokens per row of x and y.</summary>
    public int ContextLength { get; }

    /// <summary>Fills <paramref name="x"/> and <paramref name="y"/> (each B*T, row-major) with B windows; returns the source of each row.</summary>
    public string[] NextBatch(int batchSize, Span<int> x, Span<int> y)
    {
        int t = ContextLength;
        if (x.Length < batchSize * t || y.Length < batchSize * t) throw new ArgumentException("x and y need batchSize * contextLength ids");
        var names = new string[batchSize];
        for (int b = 0; b < batchSize; b++)
        {
            double u = _rng.NextDouble();
            var src = _sources[^1];
            foreach (var s in _sources) if (u < s.Cumulative) { src = s; break; }
            names[b] = src.Name;
            long pick = _rng.NextLong(src.CumulativeLengths[^1]);
            int shard = Array.BinarySearch(src.CumulativeLengths, pick + 1);
            if (shard < 0) shard = ~shard;
            var sh = src.Shards[shard];
            long start = _rng.NextLong(sh.Length - t);
            sh.CopyTo(start, _window);
            _window.AsSpan(0, t).CopyTo(x.Slice(b * t, t));
            _window.AsSpan(1, t).CopyTo(y.Slice(b * t, t));
        }
        return names;
    }
}
