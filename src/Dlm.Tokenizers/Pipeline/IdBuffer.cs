namespace Dlm.Tokenizers.Pipeline;

/// <summary>A growable int array the pipeline appends ids to; reused across calls.</summary>
internal sealed class IdBuffer
{
    public int[] Data = new int[256];
    public int Count;

    public ReadOnlySpan<int> Span => Data.AsSpan(0, Count);

    public void Clear() => Count = 0;

    public void Add(int id)
    {
        if (Count == Data.Length) Array.Resize(ref Data, Data.Length * 2);
        Data[Count++] = id;
    }

    public void AddRange(ReadOnlySpan<int> ids)
    {
        if (Count + ids.Length > Data.Length) Array.Resize(ref Data, Math.Max(Count + ids.Length, Data.Length * 2));
        ids.CopyTo(Data.AsSpan(Count));
        Count += ids.Length;
    }

    public void Insert(int index, ReadOnlySpan<int> ids)
    {
        if (Count + ids.Length > Data.Length) Array.Resize(ref Data, Math.Max(Count + ids.Length, Data.Length * 2));
        Data.AsSpan(index, Count - index).CopyTo(Data.AsSpan(index + ids.Length));
        ids.CopyTo(Data.AsSpan(index));
        Count += ids.Length;
    }
}
