using System.Globalization;
using System.Text;
using System.Text.Json;
using Dlm.Core;
using Dlm.Tokenizers.Pipeline;

namespace Dlm.Tokenizers.Normalizers;

/// <summary>
/// Hugging Face's <c>Precompiled</c> normalizer: SentencePiece's compiled rules
/// (<see cref="PrecompiledCharsMap"/>) applied the way the Rust <c>tokenizers</c> applies them,
/// grapheme by grapheme: a grapheme under 6 UTF-8 bytes that a rule starts is replaced whole by
/// the rule's text; otherwise each char of it is replaced by its own rule, if any.
/// </summary>
internal sealed class PrecompiledNormalizer(PrecompiledCharsMap map) : Normalizer
{
    public static PrecompiledNormalizer Parse(JsonElement e)
    {
        var b64 = JsonRead.RequiredString(e, "precompiled_charsmap", "Precompiled normalizer");
        byte[] blob;
        try
        {
            blob = Convert.FromBase64String(b64);
        }
        catch (FormatException)
        {
            throw new DlmException("tokenizer.json: Precompiled normalizer's precompiled_charsmap is not base64");
        }
        try
        {
            return new PrecompiledNormalizer(new PrecompiledCharsMap(blob));
        }
        catch (DlmException ex)
        {
            throw new DlmException($"tokenizer.json: Precompiled normalizer: {ex.Message}");
        }
    }

    public override void Normalize(ReadOnlySpan<char> input, CharBuffer output)
    {
        output.Clear();
        output.Ensure(input.Length);
        for (int i = 0; i < input.Length;)
        {
            char c = input[i];
            // An ASCII char followed by ASCII (or the end) is a grapheme of its own, CR LF aside.
            if (c < 128 && c != '\r' && (i + 1 == input.Length || input[i + 1] < 128) && !map.MayStartWith(c))
            {
                output.Append(c);
                i++;
                continue;
            }
            int g = StringInfo.GetNextTextElementLength(input[i..]);
            var grapheme = input.Slice(i, g);
            if (Encoding.UTF8.GetByteCount(grapheme) < 6 && map.ShortestMatch(grapheme, out var whole) > 0)
                output.Append(whole);
            else
            {
                for (int j = 0; j < g;)
                {
                    int len = char.IsHighSurrogate(grapheme[j]) && j + 1 < g && char.IsLowSurrogate(grapheme[j + 1]) ? 2 : 1;
                    var one = grapheme.Slice(j, len);
                    if (map.MayStartWith(one[0]) && map.ShortestMatch(one, out var r) > 0) output.Append(r);
                    else output.Append(one);
                    j += len;
                }
            }
            i += g;
        }
    }

    public override void WriteJson(Utf8JsonWriter w)
    {
        w.WriteStartObject();
        w.WriteString("type", "Precompiled");
        w.WriteString("precompiled_charsmap", Convert.ToBase64String(map.Blob));
        w.WriteEndObject();
    }
}
