using System.Buffers.Binary;
using Dlm.Core;

namespace Dlm.Data.Caches;

/// <summary>
/// Writes one SFT split folder in the seed spec's layout: <c>shard_NNNNN.bin</c> (token ids, as
/// pretrain), <c>labels_NNNNN.bin</c> (int32-le, unshifted, -100 where not trained, same length) and
/// <c>idx_NNNNN.npy</c> (int64 start offset of each example within that shard). An example never
/// straddles shards: a shard is closed before an example that would not fit. At least
/// <c>shard_00000</c> is always written, so an empty split is still a readable one.
/// </summary>
public sealed class SftShardWriter : IDisposable
{
    private readonly string _dir;
    private readonly long _tokensPerShard;
    private readonly TokenDtype _dtype;
    private readonly byte[] _buffer = new byte[1 << 16];
    private readonly List<long> _offsets = [];
    private FileStream? _tokens, _labels;
    private long _inShard;

    /// <summary>A writer into <paramref name="dir"/> (created if needed).</summary>
    public SftShardWriter(string dir, long shardBytes, TokenDtype dtype)
    {
        ArgumentNullException.ThrowIfNull(dtype);
        _dir = dir;
        _dtype = dtype;
        _tokensPerShard = Math.Max(1, shardBytes / dtype.Bytes);
        Directory.CreateDirectory(dir);
        Open();
    }

    /// <summary>Examples written.</summary>
    public long Examples { get; private set; }

    /// <summary>Tokens written.</summary>
    public long Tokens { get; private set; }

    /// <summary>Labels that are trained (not -100).</summary>
    public long TrainedTokens { get; private set; }

    /// <summary>Appends one example (ids and their unshifted labels, same length).</summary>
    public void Write(ReadOnlySpan<int> ids, ReadOnlySpan<int> labels)
    {
        if (ids.Length != labels.Length) throw new ArgumentException("ids and labels differ in length", nameof(labels));
        if (_inShard > 0 && _inShard + ids.Length > _tokensPerShard) Open();
        _offsets.Add(_inShard);
        TokenShardWriter.WriteIds(_tokens!, ids, _dtype, _buffer);
        int per = _buffer.Length / 4;
        for (var rest = labels; rest.Length > 0;)
        {
            int n = Math.Min(per, rest.Length);
            for (int i = 0; i < n; i++)
            {
                BinaryPrimitives.WriteInt32LittleEndian(_buffer.AsSpan(i * 4), rest[i]);
                if (rest[i] != -100) TrainedTokens++;
            }
            _labels!.Write(_buffer, 0, n * 4);
            rest = rest[n..];
        }
        _inShard += ids.Length;
        Tokens += ids.Length;
        Examples++;
    }

    private void Open()
    {
        int next = _tokens is null ? 0 : Shards;
        Close();
        _tokens = new FileStream(Path.Combine(_dir, $"shard_{next:D5}.bin"), FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20);
        _labels = new FileStream(Path.Combine(_dir, $"labels_{next:D5}.bin"), FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20);
        Shards = next + 1;
        _inShard = 0;
    }

    /// <summary>Shards opened so far.</summary>
    public int Shards { get; private set; }

    private void Close()
    {
        if (_tokens is null) return;
        _tokens.Flush(flushToDisk: true);
        _labels!.Flush(flushToDisk: true);
        _tokens.Dispose();
        _labels.Dispose();
        File.WriteAllBytes(Path.Combine(_dir, $"idx_{Shards - 1:D5}.npy"), Npy.EncodeInt64(_offsets.ToArray()));
        _offsets.Clear();
        _tokens = _labels = null;
    }

    /// <summary>Closes the current shard and writes its index.</summary>
    public void Dispose() => Close();
}
