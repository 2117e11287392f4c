using System.Text;
using Dlm.Tokenizers.Pipeline;

namespace Dlm.Tokenizers.SentencePiece;

/// <summary>
/// SentencePiece's BPE model (<c>bpe_model.cc</c>): the normalized text starts as one symbol per
/// char (a user-defined symbol is one frozen symbol); the adjacent pair whose concatenation is
/// the highest-scoring piece merges first (the leftmost on ties) until no pair is a piece; a
/// symbol that is an unused piece splits back into the pieces it was merged from. Symbols that
/// are no piece become the unknown id (consecutive ones fused), or their bytes with byte fallback.
/// </summary>
internal sealed class SentencePieceBpe
{
    private readonly ModelPiece[] pieces;
    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> mergeable; // normal, user-defined, unused
    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> all;
    private readonly string[] userDefined; // longest first
    private readonly int unkId;
    private readonly bool byteFallback;
    private readonly int[] byteIds = new int[256];

    [ThreadStatic] private static Scratch? scratchTls;

    private sealed class Scratch
    {
        public int[] Start = new int[256], Length = new int[256], Prev = new int[256], Next = new int[256];
        public bool[] Frozen = new bool[256];
        public readonly PriorityQueue<(int Left, int Right, int Size), (float Score, int Left)> Agenda = new(PairOrder.Instance);
        public readonly Dictionary<string, int> RevMerge = new(StringComparer.Ordinal);
        public readonly List<(int Start, int Length)> Output = [];

        public void Ensure(int n)
        {
            if (Start.Length >= n) return;
            int cap = Math.Max(n, Start.Length * 2);
            Start = new int[cap]; Length = new int[cap]; Prev = new int[cap]; Next = new int[cap]; Frozen = new bool[cap];
        }
    }

    /// <summary>Highest score first, then the leftmost pair (the agenda is a min-heap).</summary>
    private sealed class PairOrder : IComparer<(float Score, int Left)>
    {
        public static readonly PairOrder Instance = new();

        public int Compare((float Score, int Left) a, (float Score, int Left) b) =>
            a.Score != b.Score ? b.Score.CompareTo(a.Score) : a.Left.CompareTo(b.Left);
    }

    public SentencePieceBpe(ModelPiece[] pieces, Dictionary<string, int> byPiece, int unkId, bool byteFallback)
    {
        this.pieces = pieces;
        this.unkId = unkId;
        this.byteFallback = byteFallback;
        var m = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < pieces.Length; i++)
            if (pieces[i].Type is PieceType.Normal or PieceType.UserDefined or PieceType.Unused) m[pieces[i].Piece] = i;
        mergeable = m.GetAlternateLookup<ReadOnlySpan<char>>();
        all = byPiece.GetAlternateLookup<ReadOnlySpan<char>>();
        userDefined = [.. pieces.Where(p => p.Type == PieceType.UserDefined && p.Piece.Length > 0).Select(p => p.Piece).OrderByDescending(p => p.Length)];
        for (int b = 0; b < 256; b++) byteIds[b] = byPiece.TryGetValue($"<0x{b:X2}>", out int id) ? id : -1;
    }

    public void Tokenize(ReadOnlySpan<char> s, IdBuffer output)
    {
        if (s.IsEmpty) return;
        var sc = scratchTls ??= new Scratch();
        sc.Ensure(s.Length);
        int n = 0;
        for (int i = 0; i < s.Length; n++)
        {
            int len = char.IsHighSurrogate(s[i]) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1]) ? 2 : 1;
            bool frozen = false;
            foreach (var u in userDefined)
                if (s[i..].StartsWith(u, StringComparison.Ordinal)) { len = u.Length; frozen = true; break; }
            sc.Start[n] = i;
            sc.Length[n] = len;
            sc.Frozen[n] = frozen;
            sc.Prev[n] = n - 1;
            i += len;
            sc.Next[n] = i < s.Length ? n + 1 : -1;
        }
        var agenda = sc.Agenda;
        agenda.Clear();
        sc.RevMerge.Clear();
        for (int i = 1; i < n; i++) MaybeAdd(s, sc, i - 1, i);
        while (agenda.TryDequeue(out var top, out _))
        {
            int l = top.Left, r = top.Right;
            if (sc.Length[l] == 0 || sc.Length[r] == 0 || sc.Length[l] + sc.Length[r] != top.Size) continue; // stale
            sc.Length[l] += sc.Length[r];
            sc.Next[l] = sc.Next[r];
            if (sc.Next[r] >= 0) sc.Prev[sc.Next[r]] = l;
            sc.Length[r] = 0;
            MaybeAdd(s, sc, sc.Prev[l], l);
            MaybeAdd(s, sc, l, sc.Next[l]);
        }
        var outSpans = sc.Output;
        outSpans.Clear();
        for (int i = 0; i != -1; i = sc.Next[i]) Resegment(s, sc, sc.Start[i], sc.Length[i]);
        bool prevUnk = false;
        int unkStart = 0, unkEnd = 0;
        foreach (var (start, length) in outSpans)
        {
            var piece = s.Slice(start, length);
            int id = all.TryGetValue(piece, out int known) ? known : unkId;
            if (id == unkId)
            {
                // Consecutive unknown symbols fuse into one unknown piece, as sentencepiece's encoder does.
                if (!prevUnk) unkStart = start;
                unkEnd = start + length;
                prevUnk = true;
                continue;
            }
            if (prevUnk) { EmitUnknown(s[unkStart..unkEnd], output); prevUnk = false; }
            output.Add(id);
        }
        if (prevUnk) EmitUnknown(s[unkStart..unkEnd], output);
    }

    private void MaybeAdd(ReadOnlySpan<char> s, Scratch sc, int left, int right)
    {
        if (left < 0 || right < 0 || sc.Frozen[left] || sc.Frozen[right]) return;
        int size = sc.Length[left] + sc.Length[right];
        var piece = s.Slice(sc.Start[left], size);
        if (!mergeable.TryGetValue(piece, out int id)) return;
        sc.Agenda.Enqueue((left, right, size), (pieces[id].Score, left));
        if (pieces[id].Type == PieceType.Unused) sc.RevMerge[piece.ToString()] = sc.Length[left];
    }

    private void Resegment(ReadOnlySpan<char> s, Scratch sc, int start, int length)
    {
        var piece = s.Slice(start, length);
        if (mergeable.TryGetValue(piece, out int id) && pieces[id].Type == PieceType.Unused
            && sc.RevMerge.GetAlternateLookup<ReadOnlySpan<char>>().TryGetValue(piece, out int leftLength))
        {
            Resegment(s, sc, start, leftLength);
            Resegment(s, sc, start + leftLength, length - leftLength);
            return;
        }
        sc.Output.Add((start, length));
    }

    private void EmitUnknown(ReadOnlySpan<char> piece, IdBuffer output)
    {
        if (byteFallback)
        {
            Span<byte> small = stackalloc byte[64];
            int max = Encoding.UTF8.GetMaxByteCount(piece.Length);
            var bytes = max <= small.Length ? small : new byte[max];
            int len = Encoding.UTF8.GetBytes(piece, bytes);
            for (int b = 0; b < len; b++) output.Add(byteIds[bytes[b]]);
            return;
        }
        output.Add(unkId);
    }
}
