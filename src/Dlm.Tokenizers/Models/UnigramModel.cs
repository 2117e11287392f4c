using System.Text;
using System.Text.Json;
using Dlm.Core;
using Dlm.Tokenizers.Pipeline;

namespace Dlm.Tokenizers.Models;

/// <summary>
/// SentencePiece's unigram model: the Viterbi path of highest total log-probability through
/// the lattice of vocabulary pieces; chars no piece covers take the unknown token at
/// (lowest score - 10), consecutive unknowns fuse, and with <c>byte_fallback</c> an unknown
/// piece becomes its <c>&lt;0xXX&gt;</c> bytes. Ties keep the first (shortest) candidate, as Hugging Face does.
/// </summary>
internal sealed class UnigramModel : Model
{
    private const double UnkPenalty = 10.0;
    private readonly (string Piece, double Score)[] pieces;
    private readonly Dictionary<string, int> ids;
    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> idsSpan;
    private readonly int maxPieceLength;
    private readonly double minScore;

    public int? UnkId { get; }
    public bool ByteFallback { get; }

    public UnigramModel((string, double)[] vocab, int? unkId, bool byteFallback)
    {
        pieces = vocab;
        UnkId = unkId;
        ByteFallback = byteFallback;
        ids = new Dictionary<string, int>(vocab.Length, StringComparer.Ordinal);
        minScore = double.PositiveInfinity;
        for (int i = 0; i < vocab.Length; i++)
        {
            ids.TryAdd(vocab[i].Item1, i);
            maxPieceLength = Math.Max(maxPieceLength, vocab[i].Item1.Length);
            minScore = Math.Min(minScore, vocab[i].Item2);
        }
        idsSpan = ids.GetAlternateLookup<ReadOnlySpan<char>>();
        if (unkId is { } u && (u < 0 || u >= vocab.Length))
            throw new DlmException($"tokenizer.json: Unigram unk_id {u} is outside the vocab");
    }

    public override int VocabSize => pieces.Length;

    public override int? TokenToId(ReadOnlySpan<char> token) => idsSpan.TryGetValue(token, out int id) ? id : null;

    public override string? IdToToken(int id) => (uint)id < (uint)pieces.Length ? pieces[id].Piece : null;

    public override void Tokenize(ReadOnlySpan<char> s, IdBuffer output)
    {
        if (s.IsEmpty) return;
        int n = s.Length;
        var bestScore = new double[n + 1];
        var startsAt = new int[n + 1];
        var nodeId = new int[n + 1];
        Array.Fill(startsAt, -1);
        double unkScore = minScore - UnkPenalty;
        for (int start = 0; start < n;)
        {
            int charLen = char.IsHighSurrogate(s[start]) && start + 1 < n && char.IsLowSurrogate(s[start + 1]) ? 2 : 1;
            double here = bestScore[start];
            bool hasSingle = false;
            int maxLen = Math.Min(maxPieceLength, n - start);
            for (int len = 1; len <= maxLen; len++)
            {
                if (!idsSpan.TryGetValue(s.Slice(start, len), out int id)) continue;
                int end = start + len;
                double cand = pieces[id].Score + here;
                if (startsAt[end] < 0 || cand > bestScore[end])
                {
                    bestScore[end] = cand;
                    startsAt[end] = start;
                    nodeId[end] = id;
                }
                if (len == charLen) hasSingle = true;
            }
            if (!hasSingle)
            {
                int end = start + charLen;
                double cand = unkScore + here;
                if (startsAt[end] < 0 || cand > bestScore[end])
                {
                    bestScore[end] = cand;
                    startsAt[end] = start;
                    nodeId[end] = UnkId ?? throw new DlmException("Unigram model has no unk_id for text its vocab does not cover");
                }
            }
            start += charLen;
        }
        // Walk back; consecutive unknown nodes fuse into one piece.
        var spans = new List<(int Start, int End)>();
        int endAt = n;
        int unkEnd = -1;
        while (endAt > 0)
        {
            int st = startsAt[endAt];
            if (UnkId is { } u && nodeId[endAt] == u)
            {
                if (unkEnd < 0) unkEnd = endAt;
            }
            else
            {
                if (unkEnd >= 0) { spans.Add((endAt, unkEnd)); unkEnd = -1; }
                spans.Add((st, endAt));
            }
            endAt = st;
        }
        if (unkEnd >= 0) spans.Add((0, unkEnd));
        for (int i = spans.Count - 1; i >= 0; i--)
        {
            var piece = s[spans[i].Start..spans[i].End];
            if (idsSpan.TryGetValue(piece, out int id)) { output.Add(id); continue; }
            if (ByteFallback)
            {
                var bytes = Encoding.UTF8.GetBytes(piece.ToString());
                var byteIds = new int[bytes.Length];
                bool all = true;
                for (int b = 0; b < bytes.Length && all; b++)
                    all = ids.TryGetValue($"<0x{bytes[b]:X2}>", out byteIds[b]);
                if (all) { foreach (var x in byteIds) output.Add(x); continue; }
            }
            output.Add(UnkId ?? throw new DlmException("Unigram model has no unk_id for text its vocab does not cover"));
        }
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
        return new UnigramModel([.. list], unk, JsonRead.Bool(e, "byte_fallback", false));
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
