using Dlm.Core;
using Dlm.Data.Caches;

namespace Dlm.Data.Readers;

/// <summary>
/// One split of an SFT cache: examples (token ids and unshifted int32 labels) found through their
/// start offsets. Reads the sharded layout dlm writes (<c>split/shard_N.bin</c>, <c>labels_N.bin</c>,
/// <c>idx_N.npy</c>) and the flat layout niels-gpt's own code wrote at the source root
/// (<c>{split}_input_ids.bin</c> or <c>{split}_tokens.bin</c>, <c>{split}_labels.bin</c>,
/// <c>{split}_idx.npy</c>; an example ends at the next offset or the end of file).
/// </summary>
public sealed class SftCache : IDisposable
{
    private readonly List<(TokenShard Ids, TokenShard Labels)> _shards = [];
    private readonly List<(int Shard, long Start, int Length)> _examples = [];

    private SftCache(CacheInfo info, string split, bool flat)
    {
        Info = info;
        Split = split;
        IsFlatLayout = flat;
    }

    /// <summary>Opens split <paramref name="split"/> of the cache in <paramref name="dir"/>.</summary>
    /// <exception cref="DlmException">No meta.json, neither layout present, or inconsistent files.</exception>
    public static SftCache Open(string dir, string split, string? expectedTokenizerSha256 = null)
    {
        var info = CacheInfo.Read(dir, expectedTokenizerSha256);
        var splitDir = Path.Combine(dir, split);
        string[] flatNames = [$"{split}_input_ids.bin", $"{split}_tokens.bin"];
        var flatIds = flatNames.Select(f => Path.Combine(dir, f)).FirstOrDefault(File.Exists);
        SftCache cache;
        if (Directory.Exists(splitDir) && Directory.GetFiles(splitDir, "shard_*.bin").Length > 0)
        {
            cache = new SftCache(info, split, flat: false);
            foreach (var ids in Directory.GetFiles(splitDir, "shard_*.bin").Order(StringComparer.Ordinal))
            {
                var n = Path.GetFileName(ids)["shard_".Length..^".bin".Length];
                cache.Add(ids, Path.Combine(splitDir, $"labels_{n}.bin"), Path.Combine(splitDir, $"idx_{n}.npy"));
            }
        }
        else if (flatIds is not null)
        {
            cache = new SftCache(info, split, flat: true);
            cache.Add(flatIds, Path.Combine(dir, $"{split}_labels.bin"), Path.Combine(dir, $"{split}_idx.npy"));
        }
        else throw new DlmException($"{dir}: no SFT {split} data ({split}/shard_00000.bin or {split}_input_ids.bin)");
        return cache;
    }

    private void Add(string idsPath, string labelsPath, string idxPath)
    {
        if (!File.Exists(labelsPath)) throw new DlmException($"missing labels file: {labelsPath}");
        if (!File.Exists(idxPath)) throw new DlmException($"missing index file: {idxPath}");
        var ids = TokenShard.Tokens(idsPath, Info.Dtype);
        var labels = new TokenShard(labelsPath, 4, isLabels: true);
        if (labels.Length != ids.Length) throw new DlmException($"{labelsPath}: {labels.Length} labels for {ids.Length} tokens");
        var offsets = Npy.ReadInt64(idxPath);
        int shard = _shards.Count;
        _shards.Add((ids, labels));
        for (int i = 0; i < offsets.Length; i++)
        {
            long end = i + 1 < offsets.Length ? offsets[i + 1] : ids.Length;
            if (offsets[i] < 0 || end < offsets[i] || end > ids.Length) throw new DlmException($"{idxPath}: offset {offsets[i]} out of order or past the end");
            _examples.Add((shard, offsets[i], checked((int)(end - offsets[i]))));
        }
    }

    /// <summary>The meta.json facts.</summary>
    public CacheInfo Info { get; }

    /// <summary><c>train</c> or <c>val</c>.</summary>
    public string Split { get; }

    /// <summary>True for niels-gpt's flat layout.</summary>
    public bool IsFlatLayout { get; }

    /// <summary>Number of examples.</summary>
    public int Count => _examples.Count;

    /// <summary>Token count of example <paramref name="index"/>.</summary>
    public int LengthOf(int index) => _examples[index].Length;

    /// <summary>Copies the first <c>ids.Length</c> (at most the example's length) ids and labels of an example; returns how many.</summary>
    public int Read(int index, Span<int> ids, Span<int> labels)
    {
        var (shard, start, length) = _examples[index];
        int n = Math.Min(length, Math.Min(ids.Length, labels.Length));
        _shards[shard].Ids.CopyTo(start, ids[..n]);
        _shards[shard].Labels.CopyTo(start, labels[..n]);
        return n;
    }

    /// <summary>Unmaps every file.</summary>
    public void Dispose()
    {
        foreach (var (i, l) in _shards) { i.Dispose(); l.Dispose(); }
    }
}
