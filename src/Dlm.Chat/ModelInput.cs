namespace Dlm.Chat;

/// <summary>
/// What the model reads (tinker <c>ModelInput</c>): a list of chunks, each a run of token ids.
/// Immutable; <see cref="Append(EncodedTextChunk)"/> returns a new input.
/// </summary>
public sealed class ModelInput
{
    private readonly EncodedTextChunk[] _chunks;

    /// <summary>An input made of these chunks, in order.</summary>
    public ModelInput(IEnumerable<EncodedTextChunk> chunks)
    {
        ArgumentNullException.ThrowIfNull(chunks);
        _chunks = chunks.ToArray();
        foreach (var c in _chunks) Length += c.Length;
    }

    /// <summary>The empty input.</summary>
    public static ModelInput Empty { get; } = new([]);

    /// <summary>An input of one chunk holding <paramref name="tokens"/>.</summary>
    public static ModelInput FromInts(ReadOnlySpan<int> tokens) => new([new EncodedTextChunk(tokens)]);

    /// <summary>The chunks, in order.</summary>
    public IReadOnlyList<EncodedTextChunk> Chunks => _chunks;

    /// <summary>Total number of tokens over all chunks.</summary>
    public int Length { get; }

    /// <summary>All token ids, chunk after chunk (tinker <c>to_ints</c>).</summary>
    public int[] ToInts()
    {
        var all = new int[Length];
        int at = 0;
        foreach (var c in _chunks)
        {
            c.Tokens.CopyTo(all.AsSpan(at));
            at += c.Length;
        }
        return all;
    }

    /// <summary>A new input with <paramref name="chunk"/> added at the end.</summary>
    public ModelInput Append(EncodedTextChunk chunk) => new([.. _chunks, chunk]);

    /// <summary>A new input with one token added at the end (tinker <c>append_int</c>).</summary>
    public ModelInput AppendInt(int token) => Append(new EncodedTextChunk([token]));

    /// <summary>A new input holding the first <paramref name="count"/> tokens, chunk boundaries kept.</summary>
    public ModelInput Take(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, Length);
        var kept = new List<EncodedTextChunk>();
        foreach (var c in _chunks)
        {
            if (count == 0) break;
            if (c.Length <= count) { kept.Add(c); count -= c.Length; }
            else { kept.Add(new EncodedTextChunk(c.Tokens[..count])); count = 0; }
        }
        return new ModelInput(kept);
    }
}
