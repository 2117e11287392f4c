using Dlm.Core;

namespace Dlm.Data.Readers;

/// <summary>
/// One split (<c>train</c> or <c>val</c>) of a pretrain cache, its shards memory-mapped. Shards
/// shorter than T+1 tokens cannot hold a window and are left out by <see cref="UsableShards"/>.
/// </summary>
public sealed class PretrainCache : IDisposable
{
    private readonly TokenShard[] _shards;

    private PretrainCache(CacheInfo info, string split, TokenShard[] shards)
    {
        Info = info;
        Split = split;
        _shards = shards;
    }

    /// <summary>Opens <c>dir/split/shard_*.bin</c> after reading <c>dir/meta.json</c>.</summary>
    /// <exception cref="DlmException">No meta.json, no split folder, or another tokenizer.</exception>
    public static PretrainCache Open(string dir, string split, string? expectedTokenizerSha256 = null)
    {
        var info = CacheInfo.Read(dir, expectedTokenizerSha256);
        var splitDir = Path.Combine(dir, split);
        if (!Directory.Exists(splitDir)) throw new DlmException($"missing split folder: {splitDir}");
        var files = Directory.GetFiles(splitDir, "shard_*.bin").Order(StringComparer.Ordinal).ToArray();
        return new PretrainCache(info, split, files.Select(f => TokenShard.Tokens(f, info.Dtype)).ToArray());
    }

    /// <summary>The meta.json facts.</summary>
    public CacheInfo Info { get; }

    /// <summary><c>train</c> or <c>val</c>.</summary>
    public string Split { get; }

    /// <summary>Every shard, in order.</summary>
    public IReadOnlyList<TokenShard> Shards => _shards;

    /// <summary>Total tokens over all shards.</summary>
    public long Tokens => _shards.Sum(s => s.Length);

    /// <summary>The shards that can hold a window of <paramref name="windowTokens"/> (T+1).</summary>
    public IReadOnlyList<TokenShard> UsableShards(int windowTokens) => _shards.Where(s => s.Length >= windowTokens).ToArray();

    /// <summary>Unmaps every shard.</summary>
    public void Dispose()
    {
        foreach (var s in _shards) s.Dispose();
    }
}
