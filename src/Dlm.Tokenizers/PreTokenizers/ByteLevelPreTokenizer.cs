using System.Text;
using System.Text.Json;
using Dlm.Tokenizers.Pipeline;

namespace Dlm.Tokenizers.PreTokenizers;

/// <summary>
/// GPT-2's byte-level step: optionally prefixes each piece with a space, optionally splits it
/// with the GPT-2 regex, then rewrites every UTF-8 byte as its <see cref="ByteLevelAlphabet"/> char.
/// <c>trim_offsets</c> only moves offsets, which dlm does not report; it is kept for saving.
/// </summary>
internal sealed class ByteLevelPreTokenizer(bool addPrefixSpace, bool trimOffsets, bool useRegex) : PreTokenizer
{
    private static readonly Gpt2Scanner Regex = new();

    public bool AddPrefixSpace => addPrefixSpace;
    public bool UseRegex => useRegex;

    [ThreadStatic] private static CharBuffer? prefixedTls;
    [ThreadStatic] private static byte[]? bytesTls;

    public override void PreTokenize(PieceBuffer input, PieceBuffer output)
    {
        for (int i = 0; i < input.Count; i++)
        {
            var text = input.Text(i);
            bool atStart = input.Pieces[i].AtStart;
            if (addPrefixSpace && (text.IsEmpty || text[0] != ' '))
            {
                var pre = prefixedTls ??= new CharBuffer();
                pre.Clear();
                pre.Append(' ');
                pre.Append(text);
                text = pre.Span;
            }
            if (!useRegex)
            {
                AppendMapped(text, atStart, output);
                continue;
            }
            var matches = Matches();
            Regex.FindMatches(text, matches);
            foreach (var m in matches) AppendMapped(text[m.Start..m.End], atStart && m.Start == 0, output);
        }
    }

    /// <summary>Appends the byte-level form of <paramref name="text"/> as one piece.</summary>
    public static void AppendMapped(ReadOnlySpan<char> text, bool atStart, PieceBuffer output)
    {
        if (text.IsEmpty) return;
        int start = output.BeginPiece();
        var chars = output.Chars;
        // ASCII maps byte for byte; only non-ASCII needs the UTF-8 encoder.
        int k = 0;
        chars.Ensure(chars.Length + text.Length);
        var table = ByteLevelAlphabet.Table;
        while (k < text.Length && text[k] < 0x80) chars.Data[chars.Length++] = table[text[k++]];
        if (k < text.Length)
        {
            var rest = text[k..];
            int max = Encoding.UTF8.GetMaxByteCount(rest.Length);
            var bytes = bytesTls;
            if (bytes is null || bytes.Length < max) bytesTls = bytes = new byte[Math.Max(max, 1024)];
            int n = Encoding.UTF8.GetBytes(rest, bytes);
            chars.Ensure(chars.Length + n);
            for (int j = 0; j < n; j++) chars.Data[chars.Length++] = table[bytes[j]];
        }
        output.EndPiece(start, atStart);
    }

    public override void WriteJson(Utf8JsonWriter w)
    {
        w.WriteStartObject();
        w.WriteString("type", "ByteLevel");
        w.WriteBoolean("add_prefix_space", addPrefixSpace);
        w.WriteBoolean("trim_offsets", trimOffsets);
        w.WriteBoolean("use_regex", useRegex);
        w.WriteEndObject();
    }
}
