using System.Text;
using System.Text.Json;
using Dlm.Core;
using Dlm.Tokenizers.Pipeline;

namespace Dlm.Tokenizers.Models;

/// <summary>
/// Byte-pair encoding: a piece starts as one symbol per char (or its <c>&lt;0xXX&gt;</c> bytes,
/// or the unknown token) and the lowest-ranked adjacent pair is merged until no merge applies,
/// leftmost first among equal ranks, exactly as Hugging Face's <c>Word::merge_all</c>.
/// Results are cached per thread, keyed by the piece's text.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "The ThreadLocal holds only managed scratch buffers, which the GC reclaims.")]
internal sealed class BpeModel : Model
{
    private readonly Dictionary<string, int> vocab;
    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> vocabSpan;
    private readonly string?[] idToToken;
    private readonly (string Left, string Right)[] mergeList;
    private readonly Dictionary<long, long> merges; // (left id, right id) -> (rank << 32 | merged id)
    private readonly int[] charIds; // id of each BMP char's one-char token (-1 if none), for the common case
    private readonly ThreadLocal<Cache> cache;

    public string? UnkToken { get; }
    public string? ContinuingSubwordPrefix { get; }
    public string? EndOfWordSuffix { get; }
    public bool FuseUnk { get; }
    public bool ByteFallback { get; }
    public bool IgnoreMerges { get; }
    public float? Dropout { get; }
    private readonly bool mergesAsPairs;

    /// <summary>Largest piece length kept in the cache; longer ones are rare and merged afresh.</summary>
    private const int MaxCachedLength = 128;
    private const int MaxCacheEntries = 200_000;

    private sealed class Cache
    {
        public readonly Dictionary<string, int[]> Map = new(StringComparer.Ordinal);
        public readonly Dictionary<string, int[]>.AlternateLookup<ReadOnlySpan<char>> Span;
        public readonly IdBuffer Scratch = new();
        public int[] Symbols = new int[256];
        public int[] Ranks = new int[256];
        public Cache() => Span = Map.GetAlternateLookup<ReadOnlySpan<char>>();
    }

    public BpeModel(Dictionary<string, int> vocab, (string, string)[] merges, string? unkToken = null,
        string? continuingSubwordPrefix = null, string? endOfWordSuffix = null, bool fuseUnk = false,
        bool byteFallback = false, bool ignoreMerges = false, float? dropout = null, bool mergesAsPairs = true)
    {
        if (dropout is > 0f)
            throw new DlmException("tokenizer.json: BPE dropout is not supported (it makes encoding random)");
        this.vocab = new Dictionary<string, int>(vocab, StringComparer.Ordinal);
        vocabSpan = this.vocab.GetAlternateLookup<ReadOnlySpan<char>>();
        UnkToken = unkToken;
        ContinuingSubwordPrefix = string.IsNullOrEmpty(continuingSubwordPrefix) ? null : continuingSubwordPrefix;
        EndOfWordSuffix = string.IsNullOrEmpty(endOfWordSuffix) ? null : endOfWordSuffix;
        FuseUnk = fuseUnk;
        ByteFallback = byteFallback;
        IgnoreMerges = ignoreMerges;
        Dropout = dropout;
        this.mergesAsPairs = mergesAsPairs;
        int max = -1;
        foreach (var id in this.vocab.Values) max = Math.Max(max, id);
        idToToken = new string?[max + 1];
        foreach (var (tok, id) in this.vocab) idToToken[id] = tok;

        mergeList = merges;
        this.merges = new Dictionary<long, long>(merges.Length);
        int prefixLen = ContinuingSubwordPrefix?.Length ?? 0;
        for (int rank = 0; rank < merges.Length; rank++)
        {
            var (a, b) = merges[rank];
            if (!this.vocab.TryGetValue(a, out int ia)) throw new DlmException($"tokenizer.json: BPE merge {rank} uses \"{a}\", which is not in the vocab");
            if (!this.vocab.TryGetValue(b, out int ib)) throw new DlmException($"tokenizer.json: BPE merge {rank} uses \"{b}\", which is not in the vocab");
            string merged = a + (prefixLen > 0 && b.StartsWith(ContinuingSubwordPrefix!, StringComparison.Ordinal) ? b[prefixLen..] : b);
            if (!this.vocab.TryGetValue(merged, out int im)) throw new DlmException($"tokenizer.json: BPE merge {rank} makes \"{merged}\", which is not in the vocab");
            this.merges.TryAdd(Key(ia, ib), ((long)rank << 32) | (uint)im);
        }
        charIds = new int[65536];
        Array.Fill(charIds, -1);
        foreach (var (tok, id) in this.vocab)
            if (tok.Length == 1 && !char.IsSurrogate(tok[0])) charIds[tok[0]] = id;
        cache = new ThreadLocal<Cache>(() => new Cache());
    }

    private static long Key(int a, int b) => ((long)a << 32) | (uint)b;

    public override int VocabSize => idToToken.Length;

    public override int? TokenToId(ReadOnlySpan<char> token) => vocabSpan.TryGetValue(token, out int id) ? id : null;

    public override string? IdToToken(int id) => (uint)id < (uint)idToToken.Length ? idToToken[id] : null;

    public IReadOnlyDictionary<string, int> Vocab => vocab;

    public IReadOnlyList<(string Left, string Right)> Merges => mergeList;

    public override void Tokenize(ReadOnlySpan<char> piece, IdBuffer output)
    {
        if (piece.IsEmpty) return;
        if (IgnoreMerges && vocabSpan.TryGetValue(piece, out int whole))
        {
            output.Add(whole);
            return;
        }
        var c = cache.Value!;
        if (piece.Length <= MaxCachedLength && c.Span.TryGetValue(piece, out var hit))
        {
            output.AddRange(hit);
            return;
        }
        var scratch = c.Scratch;
        scratch.Clear();
        MergeWord(piece, scratch, c);
        output.AddRange(scratch.Span);
        if (piece.Length <= MaxCachedLength)
        {
            if (c.Map.Count >= MaxCacheEntries) c.Map.Clear();
            c.Map[piece.ToString()] = scratch.Span.ToArray();
        }
    }

    /// <summary>The initial symbols of a word, then every merge; ids appended to <paramref name="output"/>.</summary>
    private void MergeWord(ReadOnlySpan<char> w, IdBuffer output, Cache c)
    {
        var symbols = InitialSymbols(w, c);
        int n = symbols.Count;
        if (n > 1)
        {
            if (n <= 256) n = MergeSmall(symbols.Data, n, c);
            else n = MergeLarge(symbols.Data, n);
        }
        for (int i = 0; i < n; i++) output.Add(symbols.Data[i]);
    }

    [ThreadStatic] private static IdBuffer? symbolsTls;
    [ThreadStatic] private static StringBuilder? sbTls;

    private IdBuffer InitialSymbols(ReadOnlySpan<char> w, Cache c)
    {
        var symbols = symbolsTls ??= new IdBuffer();
        symbols.Clear();
        bool plain = ContinuingSubwordPrefix is null && EndOfWordSuffix is null;
        int pendingUnk = -1; // id of an unknown token waiting to be emitted (fused with following unknowns)
        for (int i = 0; i < w.Length;)
        {
            int len = char.IsHighSurrogate(w[i]) && i + 1 < w.Length && char.IsLowSurrogate(w[i + 1]) ? 2 : 1;
            bool isLast = i + len == w.Length;
            int id = -1;
            string? composed = null;
            if (plain)
            {
                if (len == 1) id = charIds[w[i]];
                else if (vocabSpan.TryGetValue(w.Slice(i, 2), out int v)) id = v;
            }
            else
            {
                var sb = sbTls ??= new StringBuilder();
                sb.Clear();
                if (i > 0 && ContinuingSubwordPrefix is not null) sb.Append(ContinuingSubwordPrefix);
                sb.Append(w.Slice(i, len));
                if (isLast && EndOfWordSuffix is not null) sb.Append(EndOfWordSuffix);
                composed = sb.ToString();
                if (vocab.TryGetValue(composed, out int v)) id = v;
            }
            if (id >= 0)
            {
                if (pendingUnk >= 0) { symbols.Add(pendingUnk); pendingUnk = -1; }
                symbols.Add(id);
            }
            else
            {
                bool done = false;
                if (ByteFallback)
                {
                    var bytes = Encoding.UTF8.GetBytes(composed ?? w.Slice(i, len).ToString());
                    var ids = new int[bytes.Length];
                    done = true;
                    for (int b = 0; b < bytes.Length && done; b++)
                        if (!vocab.TryGetValue($"<0x{bytes[b]:X2}>", out ids[b])) done = false;
                    if (done) foreach (var x in ids) symbols.Add(x);
                }
                if (!done && UnkToken is not null)
                {
                    if (!vocab.TryGetValue(UnkToken, out int unkId))
                        throw new DlmException($"tokenizer.json: BPE unk_token \"{UnkToken}\" is not in the vocab");
                    if (pendingUnk >= 0 && !FuseUnk) symbols.Add(pendingUnk);
                    pendingUnk = unkId;
                }
            }
            i += len;
        }
        if (pendingUnk >= 0) symbols.Add(pendingUnk);
        return symbols;
    }

    /// <summary>Quadratic merge for short words: keep the rank of each adjacent pair, merge the smallest.</summary>
    private int MergeSmall(int[] sym, int n, Cache c)
    {
        var ranks = c.Ranks;
        var merged = c.Symbols;
        for (int i = 0; i < n - 1; i++) ranks[i] = Rank(sym[i], sym[i + 1], out merged[i]);
        while (n > 1)
        {
            int best = -1, bestRank = int.MaxValue;
            for (int i = 0; i < n - 1; i++)
                if (ranks[i] < bestRank) { bestRank = ranks[i]; best = i; }
            if (best < 0) break;
            sym[best] = merged[best];
            for (int i = best + 1; i < n - 1; i++) { sym[i] = sym[i + 1]; ranks[i] = ranks[i + 1]; merged[i] = merged[i + 1]; }
            n--;
            if (best > 0) ranks[best - 1] = Rank(sym[best - 1], sym[best], out merged[best - 1]);
            if (best < n - 1) ranks[best] = Rank(sym[best], sym[best + 1], out merged[best]);
        }
        return n;
    }

    private int Rank(int a, int b, out int mergedId)
    {
        if (merges.TryGetValue(Key(a, b), out long v))
        {
            mergedId = (int)(v & 0xffffffff);
            return (int)(v >> 32);
        }
        mergedId = -1;
        return int.MaxValue;
    }

    /// <summary>Heap merge for long words (Hugging Face's algorithm): a queue of (rank, position), stale entries skipped.</summary>
    private int MergeLarge(int[] sym, int n)
    {
        var prev = new int[n];
        var next = new int[n];
        var alive = new bool[n];
        for (int i = 0; i < n; i++) { prev[i] = i - 1; next[i] = i + 1 < n ? i + 1 : -1; alive[i] = true; }
        var queue = new PriorityQueue<int, long>();
        for (int i = 0; i < n - 1; i++)
        {
            int r = Rank(sym[i], sym[i + 1], out _);
            if (r != int.MaxValue) queue.Enqueue(i, ((long)r << 32) | (uint)i);
        }
        while (queue.TryDequeue(out int pos, out long pri))
        {
            int rank = (int)(pri >> 32);
            if (!alive[pos] || next[pos] < 0) continue;
            int nx = next[pos];
            int r = Rank(sym[pos], sym[nx], out int mergedId);
            if (r != rank) continue;
            sym[pos] = mergedId;
            alive[nx] = false;
            next[pos] = next[nx];
            if (next[nx] >= 0) prev[next[nx]] = pos;
            if (prev[pos] >= 0)
            {
                int p = prev[pos];
                int rp = Rank(sym[p], sym[pos], out _);
                if (rp != int.MaxValue) queue.Enqueue(p, ((long)rp << 32) | (uint)p);
            }
            if (next[pos] >= 0)
            {
                int rn = Rank(sym[pos], sym[next[pos]], out _);
                if (rn != int.MaxValue) queue.Enqueue(pos, ((long)rn << 32) | (uint)pos);
            }
        }
        int k = 0;
        for (int i = 0; i >= 0; i = next[i]) sym[k++] = sym[i];
        return k;
    }

    public static BpeModel Parse(JsonElement e)
    {
        if (!e.TryGetProperty("vocab", out var v) || v.ValueKind != JsonValueKind.Object)
            throw new DlmException("tokenizer.json: BPE model needs an object \"vocab\"");
        var vocab = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var p in v.EnumerateObject()) vocab[p.Name] = p.Value.GetInt32();
        var merges = new List<(string, string)>();
        bool asPairs = false;
        if (e.TryGetProperty("merges", out var m) && m.ValueKind == JsonValueKind.Array)
        {
            int index = 0;
            foreach (var item in m.EnumerateArray())
            {
                if (item.ValueKind == JsonValueKind.String)
                {
                    var s = item.GetString()!;
                    var parts = s.Split(' ');
                    if (parts.Length != 2) throw new DlmException($"tokenizer.json: BPE merge {index} \"{s}\" is not two tokens separated by a space");
                    merges.Add((parts[0], parts[1]));
                }
                else if (item.ValueKind == JsonValueKind.Array && item.GetArrayLength() == 2)
                {
                    asPairs = true;
                    merges.Add((item[0].GetString()!, item[1].GetString()!));
                }
                else throw new DlmException($"tokenizer.json: BPE merge {index} is neither \"a b\" nor [\"a\", \"b\"]");
                index++;
            }
        }
        float? dropout = e.TryGetProperty("dropout", out var d) && d.ValueKind == JsonValueKind.Number ? d.GetSingle() : null;
        return new BpeModel(vocab, [.. merges], JsonRead.String(e, "unk_token"), JsonRead.String(e, "continuing_subword_prefix"),
            JsonRead.String(e, "end_of_word_suffix"), JsonRead.Bool(e, "fuse_unk", false), JsonRead.Bool(e, "byte_fallback", false),
            JsonRead.Bool(e, "ignore_merges", false), dropout, asPairs);
    }

    public override void WriteJson(Utf8JsonWriter w)
    {
        w.WriteStartObject();
        w.WriteString("type", "BPE");
        if (Dropout is { } dr) w.WriteNumber("dropout", dr); else w.WriteNull("dropout");
        WriteNullable(w, "unk_token", UnkToken);
        WriteNullable(w, "continuing_subword_prefix", ContinuingSubwordPrefix);
        WriteNullable(w, "end_of_word_suffix", EndOfWordSuffix);
        w.WriteBoolean("fuse_unk", FuseUnk);
        w.WriteBoolean("byte_fallback", ByteFallback);
        w.WriteBoolean("ignore_merges", IgnoreMerges);
        w.WriteStartObject("vocab");
        for (int id = 0; id < idToToken.Length; id++)
            if (idToToken[id] is { } tok) w.WriteNumber(tok, id);
        w.WriteEndObject();
        w.WriteStartArray("merges");
        foreach (var (a, b) in mergeList)
        {
            if (mergesAsPairs)
            {
                w.WriteStartArray();
                w.WriteStringValue(a);
                w.WriteStringValue(b);
                w.WriteEndArray();
            }
            else w.WriteStringValue(a + " " + b);
        }
        w.WriteEndArray();
        w.WriteEndObject();
    }

    private static void WriteNullable(Utf8JsonWriter w, string name, string? value)
    {
        if (value is null) w.WriteNull(name); else w.WriteString(name, value);
    }
}
