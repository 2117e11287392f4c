namespace Dlm.Data.Sources;

/// <summary>
/// The seeded streaming shuffle of R1: a reservoir of up to N items; once full, each new item
/// enters and one leaves at a seeded random index; at the end the rest leave the same way. Memory
/// is N items; the order depends only on the seed and the input order.
/// </summary>
public static class ShuffleBuffer
{
    /// <summary>Shuffles <paramref name="items"/> through a buffer of <paramref name="size"/> (0 or 1: unchanged).</summary>
    public static IEnumerable<T> Apply<T>(IEnumerable<T> items, int size, long seed)
    {
        ArgumentNullException.ThrowIfNull(items);
        if (size <= 1) return items;
        return Iterate(items, size, new SeededRandom(seed));
    }

    private static IEnumerable<T> Iterate<T>(IEnumerable<T> items, int size, SeededRandom rng)
    {
        var buffer = new List<T>(Math.Min(size, 1 << 16));
        foreach (var item in items)
        {
            buffer.Add(item);
            if (buffer.Count < size) continue;
            yield return Pop(buffer, rng);
        }
        while (buffer.Count > 0) yield return Pop(buffer, rng);
    }

    private static T Pop<T>(List<T> buffer, SeededRandom rng)
    {
        int i = (int)rng.NextLong(buffer.Count);
        var item = buffer[i];
        buffer[i] = buffer[^1];
        buffer.RemoveAt(buffer.Count - 1);
        return item;
    }
}
