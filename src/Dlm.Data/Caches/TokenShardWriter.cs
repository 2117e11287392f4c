using System.Buffers.Binary;

namespace Dlm.Data.Caches;

/// <summary>
/// Writes token ids into <c>shard_00000.bin</c>, <c>shard_00001.bin</c>, ... of one split folder:
/// raw little-endian ids, a new shard once the current one holds <c>shard_bytes / token_bytes</c>
/// tokens (R1). A document may continue into the next shard (pretraining has no boundaries).
/// Every shard is flushed to disk, but off the writing thread: a full shard while the next one is
/// written, the last ones when <see cref="Complete"/> is called, so that a build waits for the disk
/// once at its end rather than once per shard.
/// </summary>
public sealed class TokenShardWriter : IDisposable
{
    private readonly string _dir;
    private readonly long _tokensPerShard;
    private readonly TokenDtype _dtype;
    private readonly byte[] _buffer = new byte[1 << 16];
    private readonly List<Task> _flushes = [];
    private FileStream? _file;
    private long _inShard;
    private bool _completed;

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
        ObjectDisposedException.ThrowIf(_completed, this);
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

    /// <summary>
    /// Appends ids already in this writer's dtype (little-endian shard bytes, a whole number of ids),
    /// rolling shards as they fill: what <see cref="Write"/> writes, without converting.
    /// </summary>
    public void WriteEncoded(ReadOnlySpan<byte> ids)
    {
        ObjectDisposedException.ThrowIf(_completed, this);
        if (ids.Length % _dtype.Bytes != 0) throw new ArgumentException($"not a whole number of {_dtype.Name} ids", nameof(ids));
        while (ids.Length > 0)
        {
            if (_file is null || _inShard >= _tokensPerShard) Open();
            int n = (int)Math.Min(ids.Length / _dtype.Bytes, _tokensPerShard - _inShard);
            _file!.Write(ids[..(n * _dtype.Bytes)]);
            _inShard += n;
            Tokens += n;
            ids = ids[(n * _dtype.Bytes)..];
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

    /// <summary>
    /// Ends the writing: the current shard is handed to the operating system and flushed to disk
    /// with the others. The task ends once every shard is on disk (and fails if one could not be).
    /// </summary>
    public Task Complete()
    {
        if (!_completed)
        {
            _completed = true;
            CloseInBackground();
        }
        return Task.WhenAll(_flushes);
    }

    private void Open()
    {
        CloseInBackground();
        _file = new FileStream(Path.Combine(_dir, $"shard_{Shards:D5}.bin"), FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20);
        Shards++;
        _inShard = 0;
    }

    private void CloseInBackground()
    {
        if (_file is null) return;
        var file = _file;
        _file = null;
        file.Flush(); // the buffered bytes go to the OS here, in order, before the writer moves on
        _flushes.Add(Task.Run(() =>
        {
            using (file) file.Flush(flushToDisk: true);
        }));
    }

    /// <summary>
    /// Closes the current shard without flushing it to disk (a build that stops early discards its
    /// folder) and waits for the flushes already started, so the folder can be removed.
    /// </summary>
    public void Dispose()
    {
        _completed = true;
        _file?.Dispose();
        _file = null;
        try { Task.WaitAll(_flushes); }
        catch (AggregateException) { } // only after a failure: the build is being abandoned, or Complete's task reported it
    }
}
