using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Dlm.Core;
using Dlm.Tokenizers.Normalizers;
using Dlm.Tokenizers.Pipeline;
using Dlm.Tokenizers.PreTokenizers;

namespace Dlm.Tokenizers.Decoders;

/// <summary>
/// Turns token strings back into text (Hugging Face's <c>Decoder::decode_chain</c>): each decoder
/// maps the list of token strings to a new list; the final text is their concatenation.
/// </summary>
internal abstract class Decoder
{
    public abstract List<string> DecodeChain(List<string> tokens);

    public abstract void WriteJson(Utf8JsonWriter w);

    public static Decoder FromJson(JsonElement e)
    {
        var type = JsonRead.Type(e, "decoder");
        return type switch
        {
            "Sequence" => new SequenceDecoder([.. JsonRead.Array(e, "decoders", "Sequence decoder").EnumerateArray().Select(FromJson)]),
            "ByteLevel" => new ByteLevelDecoder(JsonRead.Bool(e, "add_prefix_space", true), JsonRead.Bool(e, "trim_offsets", true), JsonRead.Bool(e, "use_regex", true)),
            "Metaspace" => new MetaspaceDecoder(MetaspacePreTokenizer.ParseReplacement(e), MetaspacePreTokenizer.ParseScheme(e), JsonRead.Bool(e, "split", true)),
            "ByteFallback" => new ByteFallbackDecoder(),
            "Fuse" => new FuseDecoder(),
            "Strip" => new StripDecoder(JsonRead.RequiredString(e, "content", "Strip decoder"), JsonRead.Int(e, "start", 0), JsonRead.Int(e, "stop", 0)),
            "Replace" => ReplaceDecoder.Parse(e),
            _ => throw new DlmException($"tokenizer.json: unsupported decoder type \"{type}\""),
        };
    }

    protected static void WriteType(Utf8JsonWriter w, string type)
    {
        w.WriteStartObject();
        w.WriteString("type", type);
    }
}

/// <summary>Runs decoders one after another.</summary>
internal sealed class SequenceDecoder(Decoder[] steps) : Decoder
{
    public override List<string> DecodeChain(List<string> tokens)
    {
        foreach (var s in steps) tokens = s.DecodeChain(tokens);
        return tokens;
    }

    public override void WriteJson(Utf8JsonWriter w)
    {
        WriteType(w, "Sequence");
        w.WriteStartArray("decoders");
        foreach (var s in steps) s.WriteJson(w);
        w.WriteEndArray();
        w.WriteEndObject();
    }
}

/// <summary>
/// Byte-level chars back to bytes, then UTF-8 (invalid sequences become U+FFFD). A token with a
/// char outside the alphabet (an added token such as DeepSeek's) contributes its own UTF-8 bytes.
/// </summary>
internal sealed class ByteLevelDecoder(bool addPrefixSpace, bool trimOffsets, bool useRegex) : Decoder
{
    public override List<string> DecodeChain(List<string> tokens)
    {
        var bytes = new List<byte>();
        foreach (var t in tokens)
        {
            int mark = bytes.Count;
            bool ok = true;
            foreach (char c in t)
            {
                if (!ByteLevelAlphabet.TryCharToByte(c, out byte b)) { ok = false; break; }
                bytes.Add(b);
            }
            if (!ok)
            {
                bytes.RemoveRange(mark, bytes.Count - mark);
                bytes.AddRange(Encoding.UTF8.GetBytes(t));
            }
        }
        return [Encoding.UTF8.GetString(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(bytes))];
    }

    public override void WriteJson(Utf8JsonWriter w)
    {
        WriteType(w, "ByteLevel");
        w.WriteBoolean("add_prefix_space", addPrefixSpace);
        w.WriteBoolean("trim_offsets", trimOffsets);
        w.WriteBoolean("use_regex", useRegex);
        w.WriteEndObject();
    }
}

/// <summary>Replacement chars back to spaces; in the first token they are dropped unless the scheme is "never".</summary>
internal sealed class MetaspaceDecoder(char replacement, PrependScheme scheme, bool split) : Decoder
{
    public override List<string> DecodeChain(List<string> tokens)
    {
        var result = new List<string>(tokens.Count);
        var sb = new StringBuilder();
        for (int i = 0; i < tokens.Count; i++)
        {
            sb.Clear();
            foreach (char c in tokens[i])
            {
                if (c != replacement) sb.Append(c);
                else if (!(i == 0 && scheme != PrependScheme.Never)) sb.Append(' ');
            }
            result.Add(sb.ToString());
        }
        return result;
    }

    public override void WriteJson(Utf8JsonWriter w)
    {
        WriteType(w, "Metaspace");
        w.WriteString("replacement", replacement.ToString());
        w.WriteString("prepend_scheme", MetaspacePreTokenizer.SchemeName(scheme));
        w.WriteBoolean("split", split);
        w.WriteEndObject();
    }
}

/// <summary>Runs of <c>&lt;0xXX&gt;</c> tokens back to text; an invalid run gives one U+FFFD per byte.</summary>
internal sealed class ByteFallbackDecoder : Decoder
{
    public override List<string> DecodeChain(List<string> tokens)
    {
        var result = new List<string>(tokens.Count);
        var pending = new List<byte>();
        void Flush()
        {
            if (pending.Count == 0) return;
            var strict = new UTF8Encoding(false, true);
            try { result.Add(strict.GetString(pending.ToArray())); }
            catch (DecoderFallbackException) { result.Add(new string('\uFFFD', pending.Count)); }
            pending.Clear();
        }
        foreach (var t in tokens)
        {
            if (t.Length == 6 && t.StartsWith("<0x", StringComparison.Ordinal) && t[5] == '>' &&
                byte.TryParse(t.AsSpan(3, 2), System.Globalization.NumberStyles.HexNumber, null, out byte b))
            {
                pending.Add(b);
                continue;
            }
            Flush();
            result.Add(t);
        }
        Flush();
        return result;
    }

    public override void WriteJson(Utf8JsonWriter w)
    {
        WriteType(w, "ByteFallback");
        w.WriteEndObject();
    }
}

/// <summary>Joins every token into one.</summary>
internal sealed class FuseDecoder : Decoder
{
    public override List<string> DecodeChain(List<string> tokens) => [string.Concat(tokens)];

    public override void WriteJson(Utf8JsonWriter w)
    {
        WriteType(w, "Fuse");
        w.WriteEndObject();
    }
}

/// <summary>Removes up to <c>start</c> leading and <c>stop</c> trailing copies of a char from each token.</summary>
internal sealed class StripDecoder(string content, int start, int stop) : Decoder
{
    public override List<string> DecodeChain(List<string> tokens)
    {
        if (content.Length != 1) throw new DlmException("tokenizer.json: Strip decoder content must be one char");
        char ch = content[0];
        var result = new List<string>(tokens.Count);
        foreach (var t in tokens)
        {
            int s = 0;
            while (s < start && s < t.Length && t[s] == ch) s++;
            int e = t.Length;
            int k = 0;
            while (k < stop && e > s && t[e - 1] == ch) { e--; k++; }
            result.Add(t[s..e]);
        }
        return result;
    }

    public override void WriteJson(Utf8JsonWriter w)
    {
        WriteType(w, "Strip");
        w.WriteString("content", content);
        w.WriteNumber("start", start);
        w.WriteNumber("stop", stop);
        w.WriteEndObject();
    }
}

/// <summary>Replaces a literal or regex in each token.</summary>
internal sealed class ReplaceDecoder(string pattern, bool isRegex, string content) : Decoder
{
    private readonly Regex? regex = isRegex ? new Regex(pattern, RegexOptions.CultureInvariant) : null;

    public static ReplaceDecoder Parse(JsonElement e)
    {
        var (p, isRegex) = JsonRead.Pattern(e, "Replace decoder");
        return new ReplaceDecoder(p, isRegex, JsonRead.String(e, "content") ?? "");
    }

    public override List<string> DecodeChain(List<string> tokens)
    {
        var buf = new CharBuffer();
        var result = new List<string>(tokens.Count);
        foreach (var t in tokens)
        {
            ReplaceNormalizer.Replace(t, buf, pattern, regex, content);
            result.Add(buf.Span.ToString());
        }
        return result;
    }

    public override void WriteJson(Utf8JsonWriter w)
    {
        WriteType(w, "Replace");
        JsonRead.WritePattern(w, pattern, isRegex);
        w.WriteString("content", content);
        w.WriteEndObject();
    }
}
