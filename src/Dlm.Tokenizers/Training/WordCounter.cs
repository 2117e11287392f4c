namespace Dlm.Tokenizers.Training;

/// <summary>
/// Counts distinct pre-tokens ("words") with their frequencies. Lookups go through the
/// dictionary's span view, so a word seen before costs no allocation.
/// </summary>
internal sealed class WordCounter
{
    private readonly Dictionary<string, long> _counts = new(StringComparer.Ordinal);
    private readonly Dictionary<string, long>.AlternateLookup<ReadOnlySpan<char>> _lookup;

    public WordCounter() => _lookup = _counts.GetAlternateLookup<ReadOnlySpan<char>>();

    public int Distinct => _counts.Count;

    public long Total { get; private set; }

    public void Add(ReadOnlySpan<char> word, long count = 1)
    {
        ref long slot = ref System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrAddDefault(_lookup, word, out _);
        slot += count;
        Total += count;
    }

    /// <summary>Adds every count of <paramref name="other"/> (reusing its strings) and empties it.</summary>
    public void Drain(WordCounter other)
    {
        foreach (var (w, c) in other._counts)
        {
            ref long slot = ref System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrAddDefault(_counts, w, out _);
            slot += c;
        }
        Total += other.Total;
        other._counts.Clear();
        other.Total = 0;
    }

    /// <summary>The words in ordinal order, so that everything downstream is independent of hashing.</summary>
    public List<KeyValuePair<string, long>> Sorted()
    {
        var list = _counts.ToList();
        list.Sort((a, b) => string.CompareOrdinal(a.Key, b.Key));
        return list;
    }
}
