using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.InteropServices;
using Dlm.Data.Caches;
using Dlm.Data.Sources;

namespace Dlm.Data.Build;

/// <summary>
/// One parallel batch of pretraining documents encoded by a worker: the ids of every document, one
/// after the other, already in the cache's dtype (the bytes a shard holds), in one pooled buffer.
/// The writer only copies them out: no array of ids per document, no conversion on the writing
/// thread. <see cref="Dispose"/> gives the buffer back once it is written.
/// </summary>
internal sealed class EncodedBatch : IDisposable
{
    private byte[] _bytes;
    private int _length;

    private EncodedBatch(IReadOnlyList<TextDocument> documents, int bytesHint, int tokenBytes)
    {
        Documents = documents;
        Tokens = new int[documents.Count];
        TokenBytes = tokenBytes;
        _bytes = ArrayPool<byte>.Shared.Rent(Math.Max(1024, bytesHint));
    }

    /// <summary>The documents, in input order.</summary>
    public IReadOnlyList<TextDocument> Documents { get; }

    /// <summary>Ids of each document.</summary>
    public int[] Tokens { get; }

    /// <summary>Bytes per id (2 for uint16-le, 4 for uint32-le).</summary>
    public int TokenBytes { get; }

    /// <summary>The ids of every document in order, as shard bytes.</summary>
    public ReadOnlySpan<byte> Bytes => _bytes.AsSpan(0, _length);

    /// <summary>
    /// Encodes <paramref name="documents"/> with <paramref name="encode"/>, which fills the span it is
    /// given with a document's ids (see <see cref="Dlm.Tokenizers.Tokenizer.TryEncode"/>).
    /// </summary>
    public static EncodedBatch Encode(IReadOnlyList<TextDocument> documents, TokenDtype dtype, EncodeInto encode)
    {
        long chars = 0;
        foreach (var d in documents) chars += d.Text.Length;
        // English text gives about one id per 4 characters; the buffer grows when it gives more.
        var batch = new EncodedBatch(documents, (int)Math.Min(Array.MaxLength, chars / 3 * dtype.Bytes), dtype.Bytes);
        var ids = Scratch ??= new int[1 << 16];
        try
        {
            for (int i = 0; i < documents.Count; i++)
            {
                int n;
                while (!encode(documents[i], ids, out n)) ids = Scratch = new int[Math.Max(n, 2 * ids.Length)];
                batch.Append(ids.AsSpan(0, n));
                batch.Tokens[i] = n;
            }
            return batch;
        }
        catch
        {
            batch.Dispose();
            throw;
        }
    }

    /// <summary>Encodes one document into <paramref name="ids"/>; false (with the count needed) when it does not fit.</summary>
    public delegate bool EncodeInto(TextDocument document, Span<int> ids, out int written);

    // One id buffer per thread, reused by every document it encodes.
    [ThreadStatic] private static int[]? Scratch;

    private void Append(ReadOnlySpan<int> ids)
    {
        int need = _length + ids.Length * TokenBytes;
        if (need > _bytes.Length)
        {
            var grown = ArrayPool<byte>.Shared.Rent(Math.Max(need, 2 * _bytes.Length));
            _bytes.AsSpan(0, _length).CopyTo(grown);
            ArrayPool<byte>.Shared.Return(_bytes);
            _bytes = grown;
        }
        var dest = _bytes.AsSpan(_length, ids.Length * TokenBytes);
        if (TokenBytes == 2)
        {
            if (BitConverter.IsLittleEndian)
            {
                var u16 = MemoryMarshal.Cast<byte, ushort>(dest);
                for (int i = 0; i < ids.Length; i++) u16[i] = checked((ushort)ids[i]);
            }
            else
                for (int i = 0; i < ids.Length; i++) BinaryPrimitives.WriteUInt16LittleEndian(dest[(i * 2)..], checked((ushort)ids[i]));
        }
        else
            for (int i = 0; i < ids.Length; i++) BinaryPrimitives.WriteUInt32LittleEndian(dest[(i * 4)..], checked((uint)ids[i]));
        _length = need;
    }

    /// <summary>Gives the buffer back to the pool.</summary>
    public void Dispose()
    {
        var b = _bytes;
        _bytes = [];
        _length = 0;
        if (b.Length > 0) ArrayPool<byte>.Shared.Return(b);
    }
}
