using System.Text;
using Dlm.Core;
using Dlm.Tokenizers.Models;
using Dlm.Tokenizers.Normalizers;
using Dlm.Tokenizers.Pipeline;

namespace Dlm.Tokenizers.SentencePiece;

/// <summary>
/// Encodes and decodes with a SentencePiece <c>spm.model</c> as the <c>sentencepiece</c> library
/// does: <see cref="SentencePieceNormalizer"/> over the whole text, then the unigram Viterbi
/// (<see cref="UnigramModel.ForSentencePiece"/>) or BPE merges (<see cref="SentencePieceBpe"/>);
/// decoding drops control pieces, writes the unknown piece as its surface (" ⁇ "), turns U+2581
/// back into spaces (dropping the first one) and decodes runs of byte pieces as UTF-8, each
/// invalid byte a U+FFFD.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "The ThreadLocal holds only managed scratch buffers, which the GC reclaims.")]
internal sealed class SentencePieceProcessor
{
    private readonly ModelPiece[] pieces;
    private readonly Dictionary<string, int> byPiece = new(StringComparer.Ordinal);
    private readonly SentencePieceNormalizer normalizer;
    private readonly ThreadLocal<CharBuffer> scratch = new(() => new CharBuffer());
    private readonly bool stripFirstSpace, removeExtraWhitespaces;
    private readonly string unkSurface;
    private readonly SentencePieceBpe? bpe;

    /// <summary>The unigram model (null for a BPE model).</summary>
    public UnigramModel? Unigram { get; }

    /// <summary>The model file as loaded (what <see cref="Tokenizer.Save"/> writes back).</summary>
    public byte[] FileBytes { get; }
    public int? UnkId { get; }
    public int? BosId { get; }
    public int? EosId { get; }
    public int? PadId { get; }

    public SentencePieceProcessor(byte[] fileBytes)
    {
        FileBytes = fileBytes;
        var m = SentencePieceModel.Parse(fileBytes);
        if (m.ModelType is not (1 or 2))
            throw new DlmException($"SentencePiece model type {(m.ModelType switch { 2 => "bpe", 3 => "word", 4 => "char", _ => m.ModelType.ToString(System.Globalization.CultureInfo.InvariantCulture) })} is not supported (dlm reads unigram and bpe models)");
        if (m.TreatWhitespaceAsSuffix) throw new DlmException("SentencePiece models with treat_whitespace_as_suffix are not supported");
        if (m.HasDenormalizerRules) throw new DlmException("SentencePiece models with denormalization rules are not supported");
        pieces = [.. m.Pieces];
        for (int i = 0; i < pieces.Length; i++)
            if (!byPiece.TryAdd(pieces[i].Piece, i))
                throw new DlmException($"SentencePiece model has the piece \"{pieces[i].Piece}\" twice (ids {byPiece[pieces[i].Piece]} and {i})");
        for (int i = 0; i < pieces.Length; i++)
            if (pieces[i].Type == PieceType.Unknown) { UnkId = i; break; }
        if (UnkId is null) throw new DlmException("SentencePiece model has no unknown piece");
        BosId = ControlId(m.BosPiece);
        EosId = ControlId(m.EosPiece);
        PadId = ControlId(m.PadPiece);
        unkSurface = m.UnkSurface;
        stripFirstSpace = m.AddDummyPrefix || m.RemoveExtraWhitespaces;
        removeExtraWhitespaces = m.RemoveExtraWhitespaces;

        var vocab = pieces.Select(p => (p.Piece, (double)p.Score)).ToArray();
        var matchable = pieces.Select(p => p.Type is PieceType.Normal or PieceType.UserDefined).ToArray();
        var user = pieces.Select(p => p.Type == PieceType.UserDefined).ToArray();
        if (m.ByteFallback)
            for (int b = 0; b < 256; b++)
                if (!byPiece.TryGetValue($"<0x{b:X2}>", out int id) || pieces[id].Type != PieceType.Byte)
                    throw new DlmException($"SentencePiece model has byte_fallback but no byte piece <0x{b:X2}>");
        if (m.ModelType == 1) Unigram = UnigramModel.ForSentencePiece(vocab, UnkId, m.ByteFallback, matchable, user);
        else bpe = new SentencePieceBpe(pieces, byPiece, UnkId.Value, m.ByteFallback);
        var map = m.PrecompiledCharsMap.Length == 0 ? null : new PrecompiledCharsMap(m.PrecompiledCharsMap);
        normalizer = new SentencePieceNormalizer(map, m.AddDummyPrefix, m.RemoveExtraWhitespaces, m.EscapeWhitespaces,
            pieces.Where(p => p.Type == PieceType.UserDefined).Select(p => p.Piece));
    }

    private int? ControlId(string piece) =>
        byPiece.TryGetValue(piece, out int id) && pieces[id].Type == PieceType.Control ? id : null;

    public int VocabSize => pieces.Length;

    /// <summary>Control, unknown and user-defined pieces: the ones no text merges into.</summary>
    public bool IsSpecial(int id) => (uint)id < (uint)pieces.Length && pieces[id].Type is PieceType.Control or PieceType.Unknown or PieceType.UserDefined;

    public IEnumerable<string> SpecialTokens => pieces.Where((_, i) => IsSpecial(i)).Select(p => p.Piece);

    public int? TokenToId(string token) => byPiece.TryGetValue(token, out int id) ? id : null;

    public string? IdToToken(int id) => (uint)id < (uint)pieces.Length ? pieces[id].Piece : null;

    /// <summary>Appends the ids of <paramref name="text"/>, after BOS and before EOS when asked and the model has them.</summary>
    public void Encode(ReadOnlySpan<char> text, IdBuffer ids, bool addBos, bool addEos)
    {
        if (addBos && BosId is { } bos) ids.Add(bos);
        var normalized = scratch.Value!;
        normalizer.Normalize(text, normalized);
        if (Unigram is not null) Unigram.Tokenize(normalized.Span, ids);
        else bpe!.Tokenize(normalized.Span, ids);
        if (addEos && EosId is { } eos) ids.Add(eos);
    }

    /// <summary>The normalized text the model sees (spaces as U+2581).</summary>
    public string Normalize(string text)
    {
        var buffer = new CharBuffer();
        normalizer.Normalize(text, buffer);
        return buffer.Span.ToString();
    }

    /// <summary>The text of <paramref name="ids"/>; ids outside the vocabulary are an error, as in sentencepiece.</summary>
    public string Decode(ReadOnlySpan<int> ids, bool skipSpecialTokens)
    {
        var text = new StringBuilder();
        var bytes = new List<byte>();
        // Whether a leading U+2581 is still to be dropped: until one is (when whitespace is kept), or
        // while nothing is written yet (when extra whitespace is removed, every leading one goes).
        bool atStart = true;
        foreach (int id in ids)
        {
            if ((uint)id >= (uint)pieces.Length) throw new DlmException($"id {id} is outside the SentencePiece vocabulary (0..{pieces.Length - 1})");
            var p = pieces[id];
            if (p.Type == PieceType.Byte)
            {
                bytes.Add(Convert.ToByte(p.Piece[3..5], 16));
                continue;
            }
            FlushBytes(bytes, text);
            bool dropped = false;
            switch (p.Type)
            {
                case PieceType.Control: break;
                case PieceType.Unknown:
                    if (!skipSpecialTokens) text.Append(unkSurface);
                    break;
                case PieceType.UserDefined when skipSpecialTokens: break;
                default:
                    var s = p.Piece.AsSpan();
                    // The first piece loses the space the dummy prefix (or whitespace cleanup) put there.
                    if (atStart && text.Length == 0 && stripFirstSpace && s.Length > 0 && s[0] == SentencePieceNormalizer.SpaceSymbol)
                    {
                        s = s[1..];
                        dropped = !removeExtraWhitespaces;
                    }
                    foreach (char c in s) text.Append(c == SentencePieceNormalizer.SpaceSymbol ? ' ' : c);
                    break;
            }
            if (dropped || text.Length > 0) atStart = false;
        }
        FlushBytes(bytes, text);
        return text.ToString();
    }

    /// <summary>Byte pieces to text: each well-formed UTF-8 sequence as its char, each other byte as U+FFFD.</summary>
    private static void FlushBytes(List<byte> bytes, StringBuilder text)
    {
        if (bytes.Count == 0) return;
        var span = System.Runtime.InteropServices.CollectionsMarshal.AsSpan(bytes);
        for (int i = 0; i < span.Length;)
        {
            if (Rune.DecodeFromUtf8(span[i..], out var rune, out int consumed) == System.Buffers.OperationStatus.Done)
            {
                text.Append(rune.ToString());
                i += consumed;
            }
            else
            {
                text.Append('\uFFFD');
                i++;
            }
        }
        bytes.Clear();
    }
}
