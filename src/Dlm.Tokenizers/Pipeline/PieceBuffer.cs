namespace Dlm.Tokenizers.Pipeline;

/// <summary>One piece of pre-tokenized text: a slice of <see cref="PieceBuffer.Chars"/>.</summary>
/// <param name="Start">First char of the piece in the buffer.</param>
/// <param name="Length">Number of chars.</param>
/// <param name="AtStart">Whether the piece begins at offset 0 of the original text (Metaspace's "first" scheme).</param>
internal readonly record struct Piece(int Start, int Length, bool AtStart);

/// <summary>
/// The pieces a pre-tokenizer stage produces, their text packed in one reusable char array.
/// Stages read one buffer and write the next; each piece's text is copied, which keeps every
/// stage uniform (splitting and rewriting alike) at the cost of a memcpy.
/// </summary>
internal sealed class PieceBuffer
{
    public readonly CharBuffer Chars = new();
    public Piece[] Pieces = new Piece[64];
    public int Count;

    public void Clear()
    {
        Chars.Clear();
        Count = 0;
    }

    public ReadOnlySpan<char> Text(int i)
    {
        var p = Pieces[i];
        return Chars.Data.AsSpan(p.Start, p.Length);
    }

    /// <summary>Appends a piece; empty pieces are dropped, as Hugging Face drops them.</summary>
    public void Add(ReadOnlySpan<char> text, bool atStart)
    {
        if (text.IsEmpty) return;
        if (Count == Pieces.Length) Array.Resize(ref Pieces, Pieces.Length * 2);
        Pieces[Count++] = new Piece(Chars.Length, text.Length, atStart);
        Chars.Append(text);
    }

    /// <summary>Starts a piece whose text the caller appends to <see cref="Chars"/>, then closes with <see cref="EndPiece"/>.</summary>
    public int BeginPiece() => Chars.Length;

    public void EndPiece(int start, bool atStart)
    {
        if (Chars.Length == start) return;
        if (Count == Pieces.Length) Array.Resize(ref Pieces, Pieces.Length * 2);
        Pieces[Count++] = new Piece(start, Chars.Length - start, atStart);
    }
}
