using System.Text.Json;
using Dlm.Core;
using Dlm.Tokenizers.Pipeline;

namespace Dlm.Tokenizers.PreTokenizers;

/// <summary>
/// One stage of pre-tokenization: reads the pieces of <c>input</c> and appends the pieces it
/// makes of each to <c>output</c> (Hugging Face's <c>PreTokenizer</c>).
/// </summary>
internal abstract class PreTokenizer
{
    public abstract void PreTokenize(PieceBuffer input, PieceBuffer output);

    public abstract void WriteJson(Utf8JsonWriter w);

    [ThreadStatic] private static List<TextRange>? matchesTls;

    /// <summary>A per-thread scratch list for pattern matches.</summary>
    protected static List<TextRange> Matches()
    {
        var m = matchesTls ??= new List<TextRange>(256);
        m.Clear();
        return m;
    }

    /// <summary>Splits each input piece at the matches of <paramref name="pattern"/>.</summary>
    protected static void SplitAll(PieceBuffer input, PieceBuffer output, Pattern pattern, SplitBehavior behavior, bool invert)
    {
        for (int i = 0; i < input.Count; i++)
        {
            var text = input.Text(i);
            var matches = Matches();
            pattern.FindMatches(text, matches);
            Splitter.Apply(text, input.Pieces[i].AtStart, matches, behavior, invert, output);
        }
    }

    public static PreTokenizer FromJson(JsonElement e)
    {
        var type = JsonRead.Type(e, "pre_tokenizer");
        return type switch
        {
            "Sequence" => new SequencePreTokenizer(
                [.. JsonRead.Array(e, "pretokenizers", "Sequence pre_tokenizer").EnumerateArray().Select(FromJson)]),
            "Split" => SplitPreTokenizer.Parse(e),
            "ByteLevel" => new ByteLevelPreTokenizer(
                JsonRead.Bool(e, "add_prefix_space", true), JsonRead.Bool(e, "trim_offsets", true), JsonRead.Bool(e, "use_regex", true)),
            "Metaspace" => MetaspacePreTokenizer.Parse(e),
            "Digits" => new DigitsPreTokenizer(JsonRead.Bool(e, "individual_digits", false)),
            "Punctuation" => new PunctuationPreTokenizer(Splitter.Parse(JsonRead.String(e, "behavior") ?? "Isolated")),
            "Whitespace" => new WhitespacePreTokenizer(),
            "WhitespaceSplit" => new WhitespaceSplitPreTokenizer(),
            _ => throw new DlmException($"tokenizer.json: unsupported pre_tokenizer type \"{type}\""),
        };
    }
}

/// <summary>Runs pre-tokenizers one after another.</summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "The ThreadLocal holds only managed scratch buffers, which the GC reclaims.")]
internal sealed class SequencePreTokenizer(PreTokenizer[] steps) : PreTokenizer
{
    public PreTokenizer[] Steps => steps;

    private readonly ThreadLocal<(PieceBuffer A, PieceBuffer B)> temps = new(() => (new PieceBuffer(), new PieceBuffer()));

    public override void PreTokenize(PieceBuffer input, PieceBuffer output)
    {
        if (steps.Length == 0)
        {
            for (int i = 0; i < input.Count; i++) output.Add(input.Text(i), input.Pieces[i].AtStart);
            return;
        }
        // Stages ping-pong between two per-thread buffers; the last writes to the output.
        var (a, b) = temps.Value;
        var src = input;
        for (int s = 0; s < steps.Length; s++)
        {
            var dst = s == steps.Length - 1 ? output : (src == a ? b : a);
            if (dst != output) dst.Clear();
            steps[s].PreTokenize(src, dst);
            src = dst;
        }
    }

    public override void WriteJson(Utf8JsonWriter w)
    {
        w.WriteStartObject();
        w.WriteString("type", "Sequence");
        w.WriteStartArray("pretokenizers");
        foreach (var s in steps) s.WriteJson(w);
        w.WriteEndArray();
        w.WriteEndObject();
    }
}

/// <summary>Splits on a literal string or a regex, with any <see cref="SplitBehavior"/> and optional inversion.</summary>
internal sealed class SplitPreTokenizer(string patternText, bool isRegex, SplitBehavior behavior, bool invert) : PreTokenizer
{
    private readonly Pattern pattern = Pattern.Create(patternText, isRegex);

    public static SplitPreTokenizer Parse(JsonElement e)
    {
        var (text, isRegex) = JsonRead.Pattern(e, "Split pre_tokenizer");
        return new SplitPreTokenizer(text, isRegex, Splitter.Parse(JsonRead.String(e, "behavior")), JsonRead.Bool(e, "invert", false));
    }

    public override void PreTokenize(PieceBuffer input, PieceBuffer output) => SplitAll(input, output, pattern, behavior, invert);

    public override void WriteJson(Utf8JsonWriter w)
    {
        w.WriteStartObject();
        w.WriteString("type", "Split");
        JsonRead.WritePattern(w, patternText, isRegex);
        w.WriteString("behavior", Splitter.Name(behavior));
        w.WriteBoolean("invert", invert);
        w.WriteEndObject();
    }
}

/// <summary>Splits digits from the rest: one piece per digit, or per run of digits.</summary>
internal sealed class DigitsPreTokenizer(bool individualDigits) : PreTokenizer
{
    private static readonly CharPattern Numeric = new(cp =>
        System.Globalization.CharUnicodeInfo.GetUnicodeCategory(cp) is System.Globalization.UnicodeCategory.DecimalDigitNumber
            or System.Globalization.UnicodeCategory.LetterNumber or System.Globalization.UnicodeCategory.OtherNumber);

    public override void PreTokenize(PieceBuffer input, PieceBuffer output) =>
        SplitAll(input, output, Numeric, individualDigits ? SplitBehavior.Isolated : SplitBehavior.Contiguous, false);

    public override void WriteJson(Utf8JsonWriter w)
    {
        w.WriteStartObject();
        w.WriteString("type", "Digits");
        w.WriteBoolean("individual_digits", individualDigits);
        w.WriteEndObject();
    }
}

/// <summary>Splits off punctuation (ASCII punctuation and the Unicode P* categories), one char per match.</summary>
internal sealed class PunctuationPreTokenizer(SplitBehavior behavior) : PreTokenizer
{
    private static readonly CharPattern Punct = new(cp =>
        (cp < 128 && char.IsAsciiLetterOrDigit((char)cp) == false && cp > 32 && cp < 127) ||
        System.Globalization.CharUnicodeInfo.GetUnicodeCategory(cp) is System.Globalization.UnicodeCategory.ConnectorPunctuation
            or System.Globalization.UnicodeCategory.DashPunctuation or System.Globalization.UnicodeCategory.OpenPunctuation
            or System.Globalization.UnicodeCategory.ClosePunctuation or System.Globalization.UnicodeCategory.InitialQuotePunctuation
            or System.Globalization.UnicodeCategory.FinalQuotePunctuation or System.Globalization.UnicodeCategory.OtherPunctuation);

    public override void PreTokenize(PieceBuffer input, PieceBuffer output) => SplitAll(input, output, Punct, behavior, false);

    public override void WriteJson(Utf8JsonWriter w)
    {
        w.WriteStartObject();
        w.WriteString("type", "Punctuation");
        w.WriteString("behavior", Splitter.Name(behavior));
        w.WriteEndObject();
    }
}

/// <summary>Keeps runs of word characters and runs of other non-space characters (<c>\w+|[^\w\s]+</c>).</summary>
internal sealed class WhitespacePreTokenizer : PreTokenizer
{
    private static readonly RegexPattern Words = new(@"\w+|[^\w\s]+");

    public override void PreTokenize(PieceBuffer input, PieceBuffer output) => SplitAll(input, output, Words, SplitBehavior.Removed, true);

    public override void WriteJson(Utf8JsonWriter w)
    {
        w.WriteStartObject();
        w.WriteString("type", "Whitespace");
        w.WriteEndObject();
    }
}

/// <summary>Splits on whitespace, dropping it.</summary>
internal sealed class WhitespaceSplitPreTokenizer : PreTokenizer
{
    private static readonly CharPattern Space = new(cp => cp < 0x10000 && char.IsWhiteSpace((char)cp));

    public override void PreTokenize(PieceBuffer input, PieceBuffer output) => SplitAll(input, output, Space, SplitBehavior.Removed, false);

    public override void WriteJson(Utf8JsonWriter w)
    {
        w.WriteStartObject();
        w.WriteString("type", "WhitespaceSplit");
        w.WriteEndObject();
    }
}
