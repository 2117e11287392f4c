namespace Dlm.Data.Sources;

/// <summary>
/// What a source reports while it streams: bytes consumed (for progress and MB/s) and the records
/// it had to skip. Thread-safe; one per source build.
/// </summary>
public sealed class SourceReadContext
{
    private long _bytesRead;
    private long _malformedCount;
    private readonly List<MalformedRecord> _malformed = [];

    /// <summary>The most malformed records kept with their details (all are counted).</summary>
    public const int KeptMalformed = 1000;

    /// <summary>Total input size in bytes, when known (0 otherwise); set by the source before it yields.</summary>
    public long TotalBytes { get; set; }

    /// <summary>Bytes of input consumed so far.</summary>
    public long BytesRead => Interlocked.Read(ref _bytesRead);

    /// <summary>Records skipped as malformed.</summary>
    public long MalformedCount => Interlocked.Read(ref _malformedCount);

    /// <summary>The first <see cref="KeptMalformed"/> malformed records, in the order found.</summary>
    public IReadOnlyList<MalformedRecord> Malformed
    {
        get { lock (_malformed) return _malformed.ToArray(); }
    }

    /// <summary>Called for each malformed record as it is found (e.g. to print it).</summary>
    public event Action<MalformedRecord>? MalformedFound;

    /// <summary>Adds consumed bytes.</summary>
    public void AddBytes(long bytes) => Interlocked.Add(ref _bytesRead, bytes);

    /// <summary>Records a skipped record.</summary>
    public void ReportMalformed(string location, string reason)
    {
        var record = new MalformedRecord(location, reason);
        Interlocked.Increment(ref _malformedCount);
        lock (_malformed) if (_malformed.Count < KeptMalformed) _malformed.Add(record);
        MalformedFound?.Invoke(record);
    }
}
