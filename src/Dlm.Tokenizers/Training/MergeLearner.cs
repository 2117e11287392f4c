using System.Runtime.InteropServices;

namespace Dlm.Tokenizers.Training;

/// <summary>
/// The merge loop of byte-level BPE, as the Hugging Face trainer runs it: pair counts over the
/// distinct words (weighted by word frequency), an index from each pair to the words that
/// hold it, and a max-priority queue with lazy deletion. A merge rewrites only the words that
/// hold the pair, and adjusts the counts of the neighbouring pairs it destroys or creates.
///
/// Order (the determinism rule): the pair with the highest count wins; ties go to the pair
/// with the smallest (left id, right id). Ids follow vocabulary order, so the result does not
/// depend on hashing, word order or threads. Counts of pairs already in the queue only go
/// down, so an entry whose count is stale is re-queued with its true count, and the entry that
/// comes out with a true count is the true best.
/// </summary>
internal sealed class MergeLearner
{
    private sealed class PairStats
    {
        public long Count;
        public List<int>? Words = [];
        public int TouchedAtStep = -1;
        public bool Merged;
    }

    /// <summary>Queue order: higher count first, then smaller left id, then smaller right id.</summary>
    private readonly struct Priority(long count, int left, int right)
    {
        public readonly long Count = count;
        public readonly int Left = left, Right = right;
    }

    private sealed class PriorityOrder : IComparer<Priority>
    {
        public static readonly PriorityOrder Instance = new();

        public int Compare(Priority x, Priority y)
        {
            if (x.Count != y.Count) return y.Count.CompareTo(x.Count);
            if (x.Left != y.Left) return x.Left.CompareTo(y.Left);
            return x.Right.CompareTo(y.Right);
        }
    }

    private readonly int[][] _words;
    private readonly int[] _lengths;
    private readonly long[] _freqs;
    private readonly Dictionary<long, PairStats> _pairs = [];
    private readonly List<long> _touched = [];
    private int _step;

    /// <param name="words">Each word as token ids (rewritten in place as merges apply).</param>
    /// <param name="freqs">How often each word occurs.</param>
    public MergeLearner(int[][] words, long[] freqs)
    {
        _words = words;
        _freqs = freqs;
        _lengths = new int[words.Length];
        for (int w = 0; w < words.Length; w++) _lengths[w] = words[w].Length;
    }

    private static long Key(int left, int right) => ((long)left << 32) | (uint)right;

    private static int LeftOf(long key) => (int)(key >> 32);

    private static int RightOf(long key) => (int)(uint)key;

    /// <summary>
    /// Learns merges until <paramref name="vocab"/> holds <paramref name="vocabSize"/> tokens or
    /// no pair seen at least <paramref name="minFrequency"/> times is left. New tokens are
    /// appended to <paramref name="vocab"/> and <paramref name="ids"/>.
    /// </summary>
    public List<BpeMerge> Learn(List<string> vocab, Dictionary<string, int> ids, int vocabSize, long minFrequency,
        Action<int>? onStep, CancellationToken ct)
    {
        var queue = new PriorityQueue<long, Priority>(PriorityOrder.Instance);
        CountPairs();
        foreach (var (key, st) in _pairs)
            if (st.Count > 0) queue.Enqueue(key, new Priority(st.Count, LeftOf(key), RightOf(key)));

        var merges = new List<BpeMerge>();
        while (vocab.Count < vocabSize && queue.TryDequeue(out long key, out var prio))
        {
            var st = _pairs[key];
            if (st.Merged) continue;
            if (prio.Count != st.Count)
            {
                if (st.Count > 0) queue.Enqueue(key, new Priority(st.Count, prio.Left, prio.Right));
                continue;
            }
            if (st.Count < 1 || st.Count < minFrequency) break;
            if ((merges.Count & 255) == 0) ct.ThrowIfCancellationRequested();

            int a = prio.Left, b = prio.Right;
            string merged = string.Concat(vocab[a], vocab[b]);
            if (!ids.TryGetValue(merged, out int id))
            {
                id = vocab.Count;
                vocab.Add(merged);
                ids.Add(merged, id);
            }
            merges.Add(new BpeMerge(a, b, id));

            st.Merged = true;
            _step++;
            _touched.Clear();
            foreach (int w in st.Words!) MergeWord(w, a, b, id);
            st.Count = 0;
            st.Words = null;
            foreach (long k in _touched)
            {
                var t = _pairs[k];
                if (t.Count > 0 && !t.Merged) queue.Enqueue(k, new Priority(t.Count, LeftOf(k), RightOf(k)));
            }
            onStep?.Invoke(vocab.Count);
        }
        return merges;
    }

    private void CountPairs()
    {
        for (int w = 0; w < _words.Length; w++)
        {
            var sym = _words[w];
            for (int i = 0; i + 1 < sym.Length; i++)
            {
                var st = StatsOf(Key(sym[i], sym[i + 1]));
                st.Count += _freqs[w];
                var list = st.Words!;
                if (list.Count == 0 || list[^1] != w) list.Add(w);
            }
        }
    }

    private PairStats StatsOf(long key)
    {
        ref var st = ref CollectionsMarshal.GetValueRefOrAddDefault(_pairs, key, out bool exists);
        if (!exists) st = new PairStats();
        return st!;
    }

    /// <summary>
    /// Rewrites every non-overlapping (a, b), left to right, in word <paramref name="w"/> as
    /// <paramref name="merged"/>, and moves the counts of the neighbour pairs: (prev, a) and
    /// (b, next) lose this word's frequency, (prev, merged) and (merged, next) gain it.
    /// A word listed for the pair that no longer holds it (counts only go stale) is left as is.
    /// </summary>
    private void MergeWord(int w, int a, int b, int merged)
    {
        var sym = _words[w];
        int len = _lengths[w];
        long f = _freqs[w];
        int r = 0, o = 0;
        while (r < len)
        {
            if (sym[r] == a && r + 1 < len && sym[r + 1] == b)
            {
                if (o > 0)
                {
                    int prev = sym[o - 1];
                    Change(Key(prev, a), -f, w);
                    Change(Key(prev, merged), f, w);
                }
                if (r + 2 < len)
                {
                    int next = sym[r + 2];
                    Change(Key(b, next), -f, w);
                    Change(Key(merged, next), f, w);
                }
                sym[o++] = merged;
                r += 2;
            }
            else
            {
                sym[o++] = sym[r++];
            }
        }
        _lengths[w] = o;
    }

    private void Change(long key, long delta, int w)
    {
        var st = StatsOf(key);
        st.Count += delta;
        if (delta <= 0 || st.Merged) return;
        var list = st.Words!;
        if (list.Count == 0 || list[^1] != w) list.Add(w);
        if (st.TouchedAtStep != _step)
        {
            st.TouchedAtStep = _step;
            _touched.Add(key);
        }
    }
}
