using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Dlm.Core;
using Dlm.Tokenizers.Pipeline;

namespace Dlm.Tokenizers.Normalizers;

/// <summary>Rewrites text before pre-tokenization (Hugging Face's <c>Normalizer</c>).</summary>
internal abstract class Normalizer
{
    /// <summary>Writes the normalized form of <paramref name="input"/> into <paramref name="output"/> (cleared first).</summary>
    public abstract void Normalize(ReadOnlySpan<char> input, CharBuffer output);

    public abstract void WriteJson(Utf8JsonWriter w);

    public static Normalizer FromJson(JsonElement e)
    {
        var type = JsonRead.Type(e, "normalizer");
        return type switch
        {
            "Sequence" => new SequenceNormalizer([.. JsonRead.Array(e, "normalizers", "Sequence normalizer").EnumerateArray().Select(FromJson)]),
            "NFC" => new UnicodeNormalizer(NormalizationForm.FormC),
            "NFKC" => new UnicodeNormalizer(NormalizationForm.FormKC),
            "NFD" => new UnicodeNormalizer(NormalizationForm.FormD),
            "NFKD" => new UnicodeNormalizer(NormalizationForm.FormKD),
            "Prepend" => new PrependNormalizer(JsonRead.RequiredString(e, "prepend", "Prepend normalizer")),
            "Replace" => ReplaceNormalizer.Parse(e),
            "Lowercase" => new LowercaseNormalizer(),
            "Strip" => new StripNormalizer(JsonRead.Bool(e, "strip_left", true), JsonRead.Bool(e, "strip_right", true)),
            "Precompiled" => PrecompiledNormalizer.Parse(e),
            _ => throw new DlmException($"tokenizer.json: unsupported normalizer type \"{type}\""),
        };
    }
}

/// <summary>Applies normalizers in order.</summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "The ThreadLocal holds only managed scratch buffers, which the GC reclaims.")]
internal sealed class SequenceNormalizer(Normalizer[] steps) : Normalizer
{
    private readonly ThreadLocal<CharBuffer> temp = new(() => new CharBuffer());

    public Normalizer[] Steps => steps;

    public override void Normalize(ReadOnlySpan<char> input, CharBuffer output)
    {
        output.Set(input);
        var tmp = temp.Value!;
        foreach (var s in steps)
        {
            tmp.Set(output.Span);
            s.Normalize(tmp.Span, output);
        }
    }

    public override void WriteJson(Utf8JsonWriter w)
    {
        w.WriteStartObject();
        w.WriteString("type", "Sequence");
        w.WriteStartArray("normalizers");
        foreach (var s in steps) s.WriteJson(w);
        w.WriteEndArray();
        w.WriteEndObject();
    }
}

/// <summary>NFC, NFKC, NFD or NFKD, through ICU; text already normalized is copied as is.</summary>
internal sealed class UnicodeNormalizer : Normalizer
{
    private readonly NormalizationForm form;
    private readonly nint icu;

    public UnicodeNormalizer(NormalizationForm form)
    {
        this.form = form;
        icu = IcuNormalization.Instance(form);
    }

    public override void Normalize(ReadOnlySpan<char> input, CharBuffer output)
    {
        output.Clear();
        // Below U+0300 every char is already NFC (combining marks start there); ASCII is stable under every form.
        int limit = form == NormalizationForm.FormC ? 0x300 : 0x80;
        if (!input.ContainsAnyInRange((char)limit, '\uffff') || IcuNormalization.QuickSpan(icu, input) == input.Length)
        {
            output.Append(input);
            return;
        }
        output.Ensure(input.Length * 3 + 16);
        int n = IcuNormalization.Normalize(icu, input, output.Data, out bool fits);
        if (!fits)
        {
            output.Ensure(n + 1);
            n = IcuNormalization.Normalize(icu, input, output.Data, out _);
        }
        output.Length = n;
    }

    public override void WriteJson(Utf8JsonWriter w)
    {
        w.WriteStartObject();
        w.WriteString("type", form switch
        {
            NormalizationForm.FormC => "NFC",
            NormalizationForm.FormKC => "NFKC",
            NormalizationForm.FormD => "NFD",
            _ => "NFKD",
        });
        w.WriteEndObject();
    }
}

/// <summary>Prepends a string to non-empty text.</summary>
internal sealed class PrependNormalizer(string prepend) : Normalizer
{
    public override void Normalize(ReadOnlySpan<char> input, CharBuffer output)
    {
        output.Clear();
        if (!input.IsEmpty) output.Append(prepend);
        output.Append(input);
    }

    public override void WriteJson(Utf8JsonWriter w)
    {
        w.WriteStartObject();
        w.WriteString("type", "Prepend");
        w.WriteString("prepend", prepend);
        w.WriteEndObject();
    }
}

/// <summary>Replaces every match of a literal or regex with a string.</summary>
internal sealed class ReplaceNormalizer(string pattern, bool isRegex, string content) : Normalizer
{
    private readonly Regex? regex = isRegex ? new Regex(pattern, RegexOptions.Compiled | RegexOptions.CultureInvariant) : null;

    public static ReplaceNormalizer Parse(JsonElement e)
    {
        var (p, isRegex) = JsonRead.Pattern(e, "Replace");
        return new ReplaceNormalizer(p, isRegex, JsonRead.String(e, "content") ?? "");
    }

    public override void Normalize(ReadOnlySpan<char> input, CharBuffer output) => Replace(input, output, pattern, regex, content);

    /// <summary>Shared with the Replace decoder.</summary>
    public static void Replace(ReadOnlySpan<char> input, CharBuffer output, string pattern, Regex? regex, string content)
    {
        output.Clear();
        int pos = 0;
        if (regex is null)
        {
            if (pattern.Length == 0) { output.Append(input); return; }
            while (true)
            {
                int i = input[pos..].IndexOf(pattern, StringComparison.Ordinal);
                if (i < 0) break;
                output.Append(input.Slice(pos, i));
                output.Append(content);
                pos += i + pattern.Length;
            }
        }
        else
        {
            foreach (var m in regex.EnumerateMatches(input))
            {
                output.Append(input[pos..m.Index]);
                output.Append(content);
                pos = m.Index + m.Length;
            }
        }
        output.Append(input[pos..]);
    }

    public override void WriteJson(Utf8JsonWriter w)
    {
        w.WriteStartObject();
        w.WriteString("type", "Replace");
        JsonRead.WritePattern(w, pattern, isRegex);
        w.WriteString("content", content);
        w.WriteEndObject();
    }
}

/// <summary>Lowercases (Unicode simple lowercase mapping).</summary>
internal sealed class LowercaseNormalizer : Normalizer
{
    public override void Normalize(ReadOnlySpan<char> input, CharBuffer output)
    {
        output.Clear();
        output.Ensure(input.Length);
        output.Length = input.ToLowerInvariant(output.Data);
    }

    public override void WriteJson(Utf8JsonWriter w)
    {
        w.WriteStartObject();
        w.WriteString("type", "Lowercase");
        w.WriteEndObject();
    }
}

/// <summary>Trims whitespace at either end.</summary>
internal sealed class StripNormalizer(bool left, bool right) : Normalizer
{
    public override void Normalize(ReadOnlySpan<char> input, CharBuffer output)
    {
        var s = input;
        if (left) s = s.TrimStart();
        if (right) s = s.TrimEnd();
        output.Set(s);
    }

    public override void WriteJson(Utf8JsonWriter w)
    {
        w.WriteStartObject();
        w.WriteString("type", "Strip");
        w.WriteBoolean("strip_left", left);
        w.WriteBoolean("strip_right", right);
        w.WriteEndObject();
    }
}
