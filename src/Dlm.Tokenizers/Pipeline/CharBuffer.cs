namespace Dlm.Tokenizers.Pipeline;

/// <summary>A growable char array reused across calls, so steady-state encoding allocates nothing.</summary>
internal sealed class CharBuffer
{
    public char[] Data = new char[256];
    public int Length;

    public ReadOnlySpan<char> Span => Data.AsSpan(0, Length);

    public void Clear() => Length = 0;

    public void Append(ReadOnlySpan<char> s)
    {
        Ensure(Length + s.Length);
        s.CopyTo(Data.AsSpan(Length));
        Length += s.Length;
    }

    public void Append(char c)
    {
        if (Length == Data.Length) Ensure(Length + 1);
        Data[Length++] = c;
    }

    public void Ensure(int capacity)
    {
        if (capacity <= Data.Length) return;
        Array.Resize(ref Data, Math.Max(capacity, Data.Length * 2));
    }

    public void Set(ReadOnlySpan<char> s)
    {
        Length = 0;
        Append(s);
    }
}
