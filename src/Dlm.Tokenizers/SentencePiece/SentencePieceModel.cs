using Dlm.Core;

namespace Dlm.Tokenizers.SentencePiece;

/// <summary>The type of a vocabulary piece (<c>ModelProto.SentencePiece.Type</c>).</summary>
internal enum PieceType
{
    Normal = 1,
    Unknown = 2,
    Control = 3,
    UserDefined = 4,
    Unused = 5,
    Byte = 6,
}

/// <summary>One vocabulary entry: its text, log-probability score and type.</summary>
internal readonly record struct ModelPiece(string Piece, float Score, PieceType Type);

/// <summary>
/// The fields of a SentencePiece <c>ModelProto</c> (an <c>spm.model</c> file) that encoding and
/// decoding use, with the proto's defaults for fields the file leaves out.
/// </summary>
internal sealed class SentencePieceModel
{
    // sentencepiece_model.proto field numbers.
    private const int FieldPieces = 1, FieldTrainerSpec = 2, FieldNormalizerSpec = 3, FieldDenormalizerSpec = 5;

    public List<ModelPiece> Pieces { get; } = [];

    /// <summary><c>TrainerSpec.model_type</c>: 1 unigram, 2 BPE, 3 word, 4 char.</summary>
    public int ModelType { get; private set; } = 1;

    public bool ByteFallback { get; private set; }
    public bool TreatWhitespaceAsSuffix { get; private set; }
    public string UnkPiece { get; private set; } = "<unk>";
    public string BosPiece { get; private set; } = "<s>";
    public string EosPiece { get; private set; } = "</s>";
    public string PadPiece { get; private set; } = "<pad>";

    /// <summary>What decoding writes for the unknown piece (default " ⁇ ").</summary>
    public string UnkSurface { get; private set; } = " \u2047 ";

    public string NormalizerName { get; private set; } = "";
    public byte[] PrecompiledCharsMap { get; private set; } = [];
    public bool AddDummyPrefix { get; private set; } = true;
    public bool RemoveExtraWhitespaces { get; private set; } = true;
    public bool EscapeWhitespaces { get; private set; } = true;

    /// <summary>Whether the file carries a denormalizer (applied on decode) with rules.</summary>
    public bool HasDenormalizerRules { get; private set; }

    /// <summary>Parses the bytes of an <c>spm.model</c>.</summary>
    /// <exception cref="DlmException">The bytes are not a SentencePiece model.</exception>
    public static SentencePieceModel Parse(ReadOnlySpan<byte> bytes)
    {
        var m = new SentencePieceModel();
        var r = new ProtoWireReader(bytes);
        while (r.Next(out int field, out int type))
        {
            switch (field)
            {
                case FieldPieces when type == ProtoWireReader.LengthDelimited: m.Pieces.Add(ParsePiece(r.ReadBytes())); break;
                case FieldTrainerSpec when type == ProtoWireReader.LengthDelimited: m.ParseTrainerSpec(r.ReadBytes()); break;
                case FieldNormalizerSpec when type == ProtoWireReader.LengthDelimited: m.ParseNormalizerSpec(r.ReadBytes()); break;
                case FieldDenormalizerSpec when type == ProtoWireReader.LengthDelimited: m.ParseDenormalizerSpec(r.ReadBytes()); break;
                default: r.Skip(); break;
            }
        }
        if (m.Pieces.Count == 0) throw new DlmException("not a SentencePiece model: no pieces");
        return m;
    }

    private static ModelPiece ParsePiece(ReadOnlySpan<byte> bytes)
    {
        string piece = "";
        float score = 0;
        var kind = PieceType.Normal;
        var r = new ProtoWireReader(bytes);
        while (r.Next(out int field, out int type))
        {
            switch (field)
            {
                case 1 when type == ProtoWireReader.LengthDelimited: piece = r.ReadString(); break;
                case 2 when type == ProtoWireReader.Fixed32: score = r.ReadFloat(); break;
                case 3 when type == ProtoWireReader.Varint:
                    int t = r.ReadInt32();
                    kind = Enum.IsDefined((PieceType)t) ? (PieceType)t
                        : throw new DlmException($"not a SentencePiece model: piece \"{piece}\" has unknown type {t}");
                    break;
                default: r.Skip(); break;
            }
        }
        return new ModelPiece(piece, score, kind);
    }

    private void ParseTrainerSpec(ReadOnlySpan<byte> bytes)
    {
        var r = new ProtoWireReader(bytes);
        while (r.Next(out int field, out int type))
        {
            bool varint = type == ProtoWireReader.Varint, str = type == ProtoWireReader.LengthDelimited;
            switch (field)
            {
                case 3 when varint: ModelType = r.ReadInt32(); break;
                case 24 when varint: TreatWhitespaceAsSuffix = r.ReadBool(); break;
                case 35 when varint: ByteFallback = r.ReadBool(); break;
                case 44 when str: UnkSurface = r.ReadString(); break;
                case 45 when str: UnkPiece = r.ReadString(); break;
                case 46 when str: BosPiece = r.ReadString(); break;
                case 47 when str: EosPiece = r.ReadString(); break;
                case 48 when str: PadPiece = r.ReadString(); break;
                default: r.Skip(); break;
            }
        }
    }

    private void ParseNormalizerSpec(ReadOnlySpan<byte> bytes)
    {
        var r = new ProtoWireReader(bytes);
        while (r.Next(out int field, out int type))
        {
            bool varint = type == ProtoWireReader.Varint, str = type == ProtoWireReader.LengthDelimited;
            switch (field)
            {
                case 1 when str: NormalizerName = r.ReadString(); break;
                case 2 when str: PrecompiledCharsMap = r.ReadBytes().ToArray(); break;
                case 3 when varint: AddDummyPrefix = r.ReadBool(); break;
                case 4 when varint: RemoveExtraWhitespaces = r.ReadBool(); break;
                case 5 when varint: EscapeWhitespaces = r.ReadBool(); break;
                default: r.Skip(); break;
            }
        }
    }

    private void ParseDenormalizerSpec(ReadOnlySpan<byte> bytes)
    {
        var r = new ProtoWireReader(bytes);
        while (r.Next(out int field, out int type))
        {
            if (field == 2 && type == ProtoWireReader.LengthDelimited) HasDenormalizerRules |= r.ReadBytes().Length > 0;
            else r.Skip();
        }
    }
}
