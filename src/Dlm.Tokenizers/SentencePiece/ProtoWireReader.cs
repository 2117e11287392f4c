using Dlm.Core;

namespace Dlm.Tokenizers.SentencePiece;

/// <summary>
/// Reads the protobuf wire format field by field: enough for <c>sentencepiece_model.proto</c>
/// (varints, 32-bit floats, length-delimited strings and sub-messages), without generated code.
/// Unknown fields of any wire type are skipped, as protobuf readers do.
/// </summary>
internal ref struct ProtoWireReader(ReadOnlySpan<byte> data)
{
    public const int Varint = 0, Fixed64 = 1, LengthDelimited = 2, Fixed32 = 5;

    private readonly ReadOnlySpan<byte> data = data;
    private int pos;
    private int wireType = -1;

    /// <summary>Moves to the next field; false at the end of the message.</summary>
    public bool Next(out int field, out int type)
    {
        if (pos >= data.Length)
        {
            field = type = 0;
            return false;
        }
        ulong tag = ReadVarint();
        field = (int)(tag >> 3);
        type = wireType = (int)(tag & 7);
        if (field == 0) throw Invalid("field number 0");
        return true;
    }

    public ulong ReadVarint()
    {
        ulong result = 0;
        for (int shift = 0; shift < 64; shift += 7)
        {
            if (pos >= data.Length) throw Invalid("truncated varint");
            byte b = data[pos++];
            result |= (ulong)(b & 0x7f) << shift;
            if (b < 0x80) return result;
        }
        throw Invalid("varint longer than 10 bytes");
    }

    /// <summary>An int32 field (negative values are sign-extended 10-byte varints).</summary>
    public int ReadInt32() => (int)(long)ReadVarint();

    public bool ReadBool() => ReadVarint() != 0;

    public float ReadFloat()
    {
        if (wireType != Fixed32) throw Invalid($"expected a 32-bit float, found wire type {wireType}");
        if (pos + 4 > data.Length) throw Invalid("truncated float");
        float f = BitConverter.ToSingle(data.Slice(pos, 4)); // protobuf is little-endian, as is every platform .NET runs on
        pos += 4;
        return f;
    }

    /// <summary>A length-delimited field: bytes, a string or a sub-message.</summary>
    public ReadOnlySpan<byte> ReadBytes()
    {
        if (wireType != LengthDelimited) throw Invalid($"expected a length-delimited field, found wire type {wireType}");
        ulong len = ReadVarint();
        if (len > (ulong)(data.Length - pos)) throw Invalid("length past the end of the message");
        var s = data.Slice(pos, (int)len);
        pos += (int)len;
        return s;
    }

    public string ReadString() => System.Text.Encoding.UTF8.GetString(ReadBytes());

    public void Skip()
    {
        switch (wireType)
        {
            case Varint: ReadVarint(); break;
            case Fixed64: Advance(8); break;
            case LengthDelimited: ReadBytes(); break;
            case Fixed32: Advance(4); break;
            default: throw Invalid($"unsupported wire type {wireType}");
        }
    }

    private void Advance(int n)
    {
        if (pos + n > data.Length) throw Invalid("truncated field");
        pos += n;
    }

    private readonly DlmException Invalid(string what) => new($"not a SentencePiece model: invalid protobuf ({what} at byte {pos})");
}
