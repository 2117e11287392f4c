using System.Buffers.Binary;
using System.IO.MemoryMappedFiles;
using Dlm.Data.Caches;

namespace Dlm.Data.Readers;

/// <summary>
/// One shard file of little-endian ids (token ids as uint16/uint32, or int32 labels), memory-mapped
/// read-only: reading a window touches only its pages, so caches far larger than memory are fine.
/// </summary>
public sealed unsafe class TokenShard : IDisposable
{
    private readonly MemoryMappedFile? _file;
    private readonly MemoryMappedViewAccessor? _view;
    private readonly byte* _base;
    private readonly int _bytes;
    private readonly bool _signed;

    /// <summary>Maps <paramref name="path"/>, whose values are <paramref name="elementBytes"/> wide (2 or 4; 4 with <paramref name="isLabels"/> for labels).</summary>
    public TokenShard(string path, int elementBytes, bool isLabels = false)
    {
        Path = path;
        _bytes = elementBytes;
        _signed = isLabels;
        long size = new FileInfo(path).Length;
        if (size % elementBytes != 0) throw new Core.DlmException($"{path}: {size} bytes is not a whole number of {elementBytes}-byte values");
        Length = size / elementBytes;
        if (size == 0) return;
        _file = MemoryMappedFile.CreateFromFile(path, FileMode.Open, null, 0, MemoryMappedFileAccess.Read);
        _view = _file.CreateViewAccessor(0, size, MemoryMappedFileAccess.Read);
        byte* p = null;
        _view.SafeMemoryMappedViewHandle.AcquirePointer(ref p);
        _base = p + _view.PointerOffset;
    }

    /// <summary>Maps a token shard of <paramref name="dtype"/>.</summary>
    public static TokenShard Tokens(string path, TokenDtype dtype) => new(path, dtype?.Bytes ?? throw new ArgumentNullException(nameof(dtype)));

    /// <summary>The file.</summary>
    public string Path { get; }

    /// <summary>Number of values.</summary>
    public long Length { get; }

    /// <summary>The value at <paramref name="index"/>.</summary>
    public int this[long index]
    {
        get
        {
            ArgumentOutOfRangeException.ThrowIfNegative(index);
            ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, Length);
            var at = new ReadOnlySpan<byte>(_base + index * _bytes, _bytes);
            return _bytes == 2 ? BinaryPrimitives.ReadUInt16LittleEndian(at)
                : _signed ? BinaryPrimitives.ReadInt32LittleEndian(at) : checked((int)BinaryPrimitives.ReadUInt32LittleEndian(at));
        }
    }

    /// <summary>Copies <c>destination.Length</c> values starting at <paramref name="start"/>.</summary>
    public void CopyTo(long start, Span<int> destination)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(start);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(start + destination.Length, Length);
        var src = new ReadOnlySpan<byte>(_base + start * _bytes, destination.Length * _bytes);
        if (_bytes == 2)
            for (int i = 0; i < destination.Length; i++) destination[i] = BinaryPrimitives.ReadUInt16LittleEndian(src[(i * 2)..]);
        else if (_signed)
            for (int i = 0; i < destination.Length; i++) destination[i] = BinaryPrimitives.ReadInt32LittleEndian(src[(i * 4)..]);
        else
            for (int i = 0; i < destination.Length; i++) destination[i] = checked((int)BinaryPrimitives.ReadUInt32LittleEndian(src[(i * 4)..]));
    }

    /// <summary>Unmaps the file.</summary>
    public void Dispose()
    {
        if (_view is not null)
        {
            _view.SafeMemoryMappedViewHandle.ReleasePointer();
            _view.Dispose();
        }
        _file?.Dispose();
    }
}
