namespace Dlm.Models.IO.Gguf;

/// <summary>
/// One tensor for <see cref="GgufWriter"/>: its name, its dimensions in ggml order (ne[0], the
/// contiguous one, first: a PyTorch [out, in] weight is [in, out] here), the type to store it
/// as, and a function that produces its float32 values in row-major order when the writer
/// reaches it, so only one tensor is in memory at a time.
/// </summary>
/// <param name="Name">GGUF tensor name, e.g. <c>blk.0.attn_q.weight</c> (at most 63 bytes).</param>
/// <param name="Dims">Dimensions, ggml order.</param>
/// <param name="Type">Storage type.</param>
/// <param name="Read">Produces the values (exactly the product of <paramref name="Dims"/>).</param>
public sealed record GgufTensorToWrite(string Name, long[] Dims, GgmlType Type, Func<float[]> Read)
{
    /// <summary>Number of elements.</summary>
    public long ElementCount => Dims.Aggregate(1L, (a, b) => a * b);

    /// <summary>Bytes the stored data takes.</summary>
    public long ByteCount => GgmlTypes.ByteCount(Type, ElementCount);
}
