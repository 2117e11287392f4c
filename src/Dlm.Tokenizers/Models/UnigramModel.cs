using System.Text;
using System.Text.Json;
using Dlm.Core;
using Dlm.Tokenizers.Pipeline;

namespace Dlm.Tokenizers.Models;

/// <summary>
/// SentencePiece's unigram model: the Viterbi path of highest total log-probability through
/// the lattice of vocabulary pieces; chars no piece covers take the unknown token at
/// (lowest score - 10), consecutive unknowns fuse, and with <c>byte_fallback</c> an unknown
/// piece becomes its <c>&lt;0xXX&gt;</c> bytes. Ties keep the first (shortest) candidate.
/// One Viterbi serves both references: a <c>tokenizer.json</c> Unigram scores in doubles over
/// every piece, as Hugging Face does; a SentencePiece <c>.model</c> (<see cref="ForSentencePiece"/>)
/// scores as <c>sentencepiece</c>'s EncodeOptimized does (float path scores, user-defined
/// pieces at <c>bytes * max_score - 0.1</c>, control/unknown/byte/unused pieces never matched in text).
/// </summary>
internal sealed class UnigramModel : Model
{
    private const double UnkPenalty = 10.0;
    private readonly (string Piece, double Score)[] pieces;
    private readonly Dictionary<string, int> ids;
    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> idsSpan;
    // A char trie of the pieces the Viterbi may use: edge key (node << 16 | char) → child node
    // (open addressing; 0 = no edge, since the root is node 0); the root's edges by array.
    private long[] edgeKeys = new long[1024];
    private int[] edgeChildren = new int[1024];
    private int edgeCount;
    private readonly int[] rootChild = new int[char.MaxValue + 1];
    private readonly List<int> nodePiece = [-1];
    private readonly int[] byteIds = new int[256];
    private readonly double unkScore;
    // SentencePiece arithmetic (null for tokenizer.json).
    private readonly bool[]? userDefined;
    private readonly int[]? utf8Length;
    private readonly float maxScore;

    [ThreadStatic] private static double[]? bestTls;
    [ThreadStatic] private static int[]? startsTls, nodesTls, spansTls;

    public int? UnkId { get; }
    public bool ByteFallback { get; }

    public UnigramModel((string, double)[] vocab, int? unkId, bool byteFallback)
        : this(vocab, unkId, byteFallback, null, null)
    {
    }

    private UnigramModel((string, double)[] vocab, int? unkId, bool byteFallback, bool[]? matchable, bool[]? userDefined)
    {
        pieces = vocab;
        UnkId = unkId;
        ByteFallback = byteFallback;
        this.userDefined = userDefined;
        ids = new Dictionary<string, int>(vocab.Length, StringComparer.Ordinal);
        double min = double.PositiveInfinity;
        float max = 1.17549435e-38f; // FLT_MIN, SentencePiece's starting max_score_
        for (int i = 0; i < vocab.Length; i++)
        {
            ids.TryAdd(vocab[i].Item1, i);
            if (matchable is null || matchable[i]) AddToTrie(vocab[i].Item1, i);
            // SentencePiece takes min and max over normal pieces only; max starts at FLT_MIN.
            bool normal = matchable is null || (matchable[i] && !userDefined![i]);
            if (!normal) continue;
            min = Math.Min(min, vocab[i].Item2);
            max = Math.Max(max, (float)vocab[i].Item2);
        }
        idsSpan = ids.GetAlternateLookup<ReadOnlySpan<char>>();
        if (unkId is { } u && (u < 0 || u >= vocab.Length))
            throw new DlmException($"Unigram unk_id {u} is outside the vocab");
        for (int b = 0; b < 256; b++) byteIds[b] = ids.TryGetValue($"<0x{b:X2}>", out int id) ? id : -1;
        if (userDefined is null) unkScore = min - UnkPenalty;
        else
        {
            if (double.IsPositiveInfinity(min)) min = float.MaxValue;
            unkScore = (float)min - 10.0f;
            maxScore = max;
            utf8Length = [.. vocab.Select(v => Encoding.UTF8.GetByteCount(v.Item1))];
        }
    }

    /// <summary>
    /// The model of a SentencePiece <c>.model</c>: <paramref name="matchable"/> marks the pieces text
    /// may match (normal and user-defined; not control, unknown, byte or unused), <paramref name="userDefined"/>
    /// the user-defined ones.
    /// </summary>
    public static UnigramModel ForSentencePiece((string, double)[] vocab, int? unkId, bool byteFallback, bool[] matchable, bool[] userDefined) =>
        new(vocab, unkId, byteFallback, matchable, userDefined);

    private void AddToTrie(string piece, int id)
    {
        if (piece.Length == 0) return;
        int node = 0;
        foreach (char c in piece)
        {
            long key = ((long)node << 16) | c;
            int child = Child(key);
            if (child == 0)
            {
                child = nodePiece.Count;
                nodePiece.Add(-1);
                AddEdge(key, child);
                if (node == 0) rootChild[c] = child;
            }
            node = child;
        }
        if (nodePiece[node] < 0) nodePiece[node] = id;
    }

    private static int Slot(long key, int mask) => (int)((ulong)(key * -7046029254386353131L) >> 40) & mask;

    private int Child(long key)
    {
        int mask = edgeKeys.Length - 1;
        for (int i = Slot(key, mask); ; i = (i + 1) & mask)
        {
            int child = edgeChildren[i];
            if (child == 0 || edgeKeys[i] == key) return child;
        }
    }

    private void AddEdge(long key, int child)
    {
        if (2 * (edgeCount + 1) > edgeKeys.Length)
        {
            var (oldKeys, oldChildren) = (edgeKeys, edgeChildren);
            edgeKeys = new long[oldKeys.Length * 2];
            edgeChildren = new int[oldKeys.Length * 2];
            edgeCount = 0;
            for (int i = 0; i < oldKeys.Length; i++)
                if (oldChildren[i] != 0) AddEdge(oldKeys[i], oldChildren[i]);
        }
        int mask = edgeKeys.Length - 1;
        int slot = Slot(key, mask);
        while (edgeChildren[slot] != 0) slot = (slot + 1) & mask;
        edgeKeys[slot] = key;
        edgeChildren[slot] = child;
        edgeCount++;
    }

    public override int VocabSize => pieces.Length;

    public override int? TokenToId(ReadOnlySpan<char> token) => idsSpan.TryGetValue(token, out int id) ? id : null;

    public override string? IdToToken(int id) => (uint)id < (uint)pieces.Length ? pieces[id].Piece : null;

    public override void Tokenize(ReadOnlySpan<char> s, IdBuffer output)
    {
        if (s.IsEmpty) return;
        int n = s.Length;
        if (bestTls is null || bestTls.Length < n + 1)
        {
            int cap = Math.Max(n + 1, 256);
            bestTls = new double[cap];
            startsTls = new int[cap];
            nodesTls = new int[cap];
            spansTls = new int[cap * 3];
        }
        var bestScore = bestTls;
        var startsAt = startsTls!;
        var nodeId = nodesTls!;
        bestScore[0] = 0;
        startsAt.AsSpan(0, n + 1).Fill(-1);
        bool spm = userDefined is not null;
        var keys = edgeKeys;
        var children = edgeChildren;
        int mask = keys.Length - 1;
        for (int start = 0; start < n;)
        {
            int charLen = char.IsHighSurrogate(s[start]) && start + 1 < n && char.IsLowSurrogate(s[start + 1]) ? 2 : 1;
            double here = bestScore[start];
            bool hasSingle = false;
            int node = 0;
            for (int end = start + 1; end <= n; end++)
            {
                if (node == 0) node = rootChild[s[start]];
                else
                {
                    long key = ((long)node << 16) | s[end - 1];
                    int slot = Slot(key, mask);
                    while (children[slot] != 0 && keys[slot] != key) slot = (slot + 1) & mask;
                    node = children[slot];
                }
                if (node == 0) break;
                int id = nodePiece[node];
                if (id < 0) continue;
                double cand;
                if (spm)
                {
                    // The ternary in EncodeOptimized is a double (the 0.1 literal); the sum is compared in double, stored as float.
                    double score = userDefined![id] ? (double)(utf8Length![id] * maxScore) - 0.1 : (float)pieces[id].Score;
                    cand = score + here;
                }
                else cand = pieces[id].Score + here;
                if (startsAt[end] < 0 || cand > bestScore[end])
                {
                    bestScore[end] = spm ? (float)cand : cand;
                    startsAt[end] = start;
                    nodeId[end] = id;
                }
                if (end - start == charLen) hasSingle = true;
            }
            if (!hasSingle)
            {
                int end = start + charLen;
                double cand = spm ? (float)((float)unkScore + (float)here) : unkScore + here;
                if (startsAt[end] < 0 || cand > bestScore[end])
                {
                    bestScore[end] = cand;
                    startsAt[end] = start;
                    nodeId[end] = UnkId ?? throw new DlmException("Unigram model has no unk_id for text its vocab does not cover");
                }
            }
            start += charLen;
        }
        // Walk back, collecting (start, end, id) spans in reverse; consecutive unknown nodes fuse into one.
        var spans = spansTls!;
        int count = 0;
        int endAt = n, unkEnd = -1;
        int unk = UnkId ?? -1;
        while (endAt > 0)
        {
            int st = startsAt[endAt];
            if (nodeId[endAt] == unk)
            {
                if (unkEnd < 0) unkEnd = endAt;
            }
            else
            {
                if (unkEnd >= 0) { Push(spans, ref count, endAt, unkEnd, unk); unkEnd = -1; }
                Push(spans, ref count, st, endAt, nodeId[endAt]);
            }
            endAt = st;
        }
        if (unkEnd >= 0) Push(spans, ref count, 0, unkEnd, unk);
        for (int i = count - 1; i >= 0; i--)
        {
            int from = spans[3 * i], to = spans[3 * i + 1], id = spans[3 * i + 2];
            var piece = s[from..to];
            if (id != unk || unk < 0)
            {
                // tokenizer.json maps the piece text back to an id, as Hugging Face does; SentencePiece keeps the node's id.
                output.Add(spm ? id : idsSpan.TryGetValue(piece, out int byText) ? byText : id);
                continue;
            }
            if (!spm && idsSpan.TryGetValue(piece, out int known)) { output.Add(known); continue; }
            if (ByteFallback && AddBytes(piece, output)) continue;
            output.Add(unk);
        }
    }

    private static void Push(int[] spans, ref int count, int start, int end, int id)
    {
        spans[3 * count] = start;
        spans[3 * count + 1] = end;
        spans[3 * count + 2] = id;
        count++;
    }

    /// <summary>Appends the byte pieces of <paramref name="piece"/>'s UTF-8; false (nothing added) when one is missing.</summary>
    private bool AddBytes(ReadOnlySpan<char> piece, IdBuffer output)
    {
        Span<byte> small = stackalloc byte[64];
        int max = Encoding.UTF8.GetMaxByteCount(piece.Length);
        var bytes = max <= small.Length ? small : new byte[max];
        int len = Encoding.UTF8.GetBytes(piece, bytes);
        for (int b = 0; b < len; b++)
            if (byteIds[bytes[b]] < 0) return false;
        for (int b = 0; b < len; b++) output.Add(byteIds[bytes[b]]);
        return true;
    }

    public static UnigramModel Parse(JsonElement e)
    {
        var list = new List<(string, double)>();
        foreach (var item in JsonRead.Array(e, "vocab", "Unigram model").EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.Array || item.GetArrayLength() != 2)
                throw new DlmException("tokenizer.json: Unigram vocab entries must be [piece, score]");
            list.Add((item[0].GetString()!, item[1].GetDouble()));
        }
        int? unk = e.TryGetProperty("unk_id", out var u) && u.ValueKind == JsonValueKind.Number ? u.GetInt32() : null;
        try
        {
            return new UnigramModel([.. list], unk, JsonRead.Bool(e, "byte_fallback", false));
        }
        catch (DlmException ex) when (!ex.Message.StartsWith("tokenizer.json", StringComparison.Ordinal))
        {
            throw new DlmException($"tokenizer.json: {ex.Message}");
        }
    }

    public override void WriteJson(Utf8JsonWriter w)
    {
        w.WriteStartObject();
        w.WriteString("type", "Unigram");
        if (UnkId is { } u) w.WriteNumber("unk_id", u); else w.WriteNull("unk_id");
        w.WriteStartArray("vocab");
        foreach (var (p, s) in pieces)
        {
            w.WriteStartArray();
            w.WriteStringValue(p);
            w.WriteNumberValue(s);
            w.WriteEndArray();
        }
        w.WriteEndArray();
        w.WriteBoolean("byte_fallback", ByteFallback);
        w.WriteEndObject();
    }
}
