using System.Buffers.Binary;

namespace Dlm.Data.Caches;

/// <summary>
/// Writes token ids into <c>shard_00000.bin</c>, <c>shard_00001.bin</c>, ... of one split folder:
/// raw little-endian ids, a new shard once the current one holds <c>shard_bytes / token_bytes</c>
/// tokens (R1). A document may continue into the next shard (pretraining has no boundaries).
/// </summary>
public sealed class TokenShardWriter : IDisposable
{
    private readonly string _dir;
    private readonly long _tokensPerShard;
    private readonly TokenDtype _dtype;
    private readonly byte[] _buffer = new byte[1 << 16];
    private FileStream? _file;
    private long _inShard;

    /// <summary>A writer into <paramref name="dir"/> (created if needed).</summary>
    public TokenShardWriter(string dir, long shardBytes, TokenDtype dtype)
    {
        ArgumentNullException.ThrowIfNull(dtype);
        _dir = dir;
        _dtype = dtype;
        _tokensPerShard = Math.Max(1, shardBytes / dtype.Bytes);
        Directory.CreateDirectory(dir);
    }

    /// <summary>Tokens written so far.</summary>
    public long Tokens { get; private set; }

    /// <summary>Shards opened so far.</summary>
    public int Shards { get; private set; }

    /// <summary>Appends ids, rolling shards as they fill.</summary>
    public void Write(ReadOnlySpan<int> ids)
    {
        while (ids.Length > 0)
        {
            if (_file is null || _inShard >= _tokensPerShard) Open();
            int n = (int)Math.Min(ids.Length, _tokensPerShard - _inShard);
            WriteIds(_file!, ids[..n], _dtype, _buffer);
            _inShard += n;
            Tokens += n;
            ids = ids[n..];
        }
    }

    internal static void WriteIds(Stream s, ReadOnlySpan<int> ids, TokenDtype dtype, byte[] buffer)
    {
        int per = buffer.Length / dtype.Bytes;
        while (ids.Length > 0)
        {
            int n = Math.Min(per, ids.Length);
            if (dtype.Bytes == 2)
                for (int i = 0; i < n; i++) BinaryPrimitives.WriteUInt16LittleEndian(buffer.AsSpan(i * 2), checked((ushort)ids[i]));
            else
                for (int i = 0; i < n; i++) BinaryPrimitives.WriteUInt32LittleEndian(buffer.AsSpan(i * 4), checked((uint)ids[i]));
            s.Write(buffer, 0, n * dtype.Bytes);
            ids = ids[n..];
        }
    }

    private void Open()
    {
        Close();
        _file = new FileStream(Path.Combine(_dir, $"shard_{Shards:D5}.bin"), FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20);
        Shards++;
        _inShard = 0;
    }

    private void Close()
    {
        if (_file is null) return;
        _file.Flush(flushToDisk: true);
        _file.Dispose();
        _file = null;
    }

    /// <summary>Flushes and closes the current shard.</summary>
    public void Dispose() => Close();
}
