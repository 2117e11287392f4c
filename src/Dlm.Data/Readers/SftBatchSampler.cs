using Dlm.Core;
using Dlm.Data.Sources;

namespace Dlm.Data.Readers;

/// <summary>
/// SFT batches by mix weight (REFERENCE.md R1): per row a source drawn by weight (sorted names), an
/// example drawn uniformly, its first T+1 tokens kept, shorter ones padded with the eot id and
/// labels -100; inputs are ids[0..T), targets labels[1..T]. Deterministic for a seed.
/// </summary>
public sealed class SftBatchSampler
{
    private readonly (string Name, double Cumulative, SftCache Cache)[] _sources;
    private readonly SeededRandom _rng;
    private readonly int _padId;
    private readonly int[] _ids, _labels;

    /// <summary>A sampler over <paramref name="sources"/> (name → (weight, cache)), padding with <paramref name="padId"/> (the eot id).</summary>
    /// <exception cref="DlmException">A source has no example, or no weight is positive.</exception>
    public SftBatchSampler(IReadOnlyDictionary<string, (double Weight, SftCache Cache)> sources, int contextLength, int padId, long seed)
    {
        ArgumentNullException.ThrowIfNull(sources);
        ArgumentOutOfRangeException.ThrowIfLessThan(contextLength, 1);
        double total = sources.Values.Sum(s => s.Weight);
        if (!(total > 0)) throw new DlmException("SFT mix: no source has a positive weight");
        double acc = 0;
        var list = new List<(string, double, SftCache)>();
        foreach (var name in sources.Keys.Order(StringComparer.Ordinal))
        {
            var (w, cache) = sources[name];
            if (cache.Count == 0) throw new DlmException($"SFT source {name}: no {cache.Split} examples");
            acc += w / total;
            list.Add((name, acc, cache));
        }
        _sources = [.. list];
        ContextLength = contextLength;
        _padId = padId;
        _rng = new SeededRandom(seed);
        _ids = new int[contextLength + 1];
        _labels = new int[contextLength + 1];
    }

    /// <summary>The state of the sampler's generator: saved with a checkpoint and set back on resume, so the batches continue exactly.</summary>
    public ulong RngState
    {
        get => _rng.State;
        set => _rng.State = value;
    }

    /// <summary>T.</summary>
    public int ContextLength { get; }

    /// <summary>Draws the next batch of <paramref name="batchSize"/> rows.</summary>
    public SftBatch NextBatch(int batchSize)
    {
        var batch = new SftBatch(batchSize, ContextLength);
        Fill(batch);
        return batch;
    }

    /// <summary>Fills <paramref name="batch"/> in place (no allocation).</summary>
    public void Fill(SftBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        if (batch.ContextLength != ContextLength) throw new ArgumentException("batch context length differs", nameof(batch));
        int t = ContextLength;
        for (int b = 0; b < batch.BatchSize; b++)
        {
            double u = _rng.NextDouble();
            var src = _sources[^1];
            foreach (var s in _sources) if (u < s.Cumulative) { src = s; break; }
            batch.Sources[b] = src.Name;
            int n = src.Cache.Read((int)_rng.NextLong(src.Cache.Count), _ids, _labels);
            _ids.AsSpan(n).Fill(_padId);
            _labels.AsSpan(n).Fill(-100);
            var x = batch.Inputs.AsSpan(b * t, t);
            var y = batch.Targets.AsSpan(b * t, t);
            var m = batch.LossMask.AsSpan(b * t, t);
            _ids.AsSpan(0, t).CopyTo(x);
            _labels.AsSpan(1, t).CopyTo(y);
            for (int i = 0; i < t; i++) m[i] = y[i] == -100 ? 0f : 1f;
        }
    }
}
