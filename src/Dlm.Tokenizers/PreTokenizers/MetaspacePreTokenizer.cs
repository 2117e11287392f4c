using System.Text.Json;
using Dlm.Core;
using Dlm.Tokenizers.Pipeline;

namespace Dlm.Tokenizers.PreTokenizers;

/// <summary>When Metaspace adds its replacement char in front of a piece.</summary>
internal enum PrependScheme { Always, First, Never }

/// <summary>
/// SentencePiece's whitespace handling: spaces become <c>▁</c>, a <c>▁</c> is prepended (always,
/// or only to the first piece of the text), and with <c>split</c> each <c>▁</c> starts a new piece.
/// </summary>
internal sealed class MetaspacePreTokenizer(char replacement, PrependScheme scheme, bool split) : PreTokenizer
{
    private readonly CharPattern replacementPattern = new(cp => cp == replacement);

    public char Replacement => replacement;
    public PrependScheme Scheme => scheme;

    [ThreadStatic] private static CharBuffer? rewrittenTls;

    public static PrependScheme ParseScheme(JsonElement e)
    {
        var s = JsonRead.String(e, "prepend_scheme");
        if (s is null) return JsonRead.Bool(e, "add_prefix_space", true) ? PrependScheme.Always : PrependScheme.Never;
        return s switch
        {
            "always" => PrependScheme.Always,
            "first" => PrependScheme.First,
            "never" => PrependScheme.Never,
            _ => throw new DlmException($"tokenizer.json: unknown Metaspace prepend_scheme \"{s}\""),
        };
    }

    public static string SchemeName(PrependScheme s) => s switch
    {
        PrependScheme.Always => "always",
        PrependScheme.First => "first",
        _ => "never",
    };

    public static char ParseReplacement(JsonElement e)
    {
        var r = JsonRead.String(e, "replacement") ?? "\u2581";
        if (r.Length != 1) throw new DlmException($"tokenizer.json: Metaspace replacement \"{r}\" must be one char");
        return r[0];
    }

    public static MetaspacePreTokenizer Parse(JsonElement e) =>
        new(ParseReplacement(e), ParseScheme(e), JsonRead.Bool(e, "split", true));

    public override void PreTokenize(PieceBuffer input, PieceBuffer output)
    {
        var buf = rewrittenTls ??= new CharBuffer();
        for (int i = 0; i < input.Count; i++)
        {
            var text = input.Text(i);
            bool atStart = input.Pieces[i].AtStart;
            buf.Clear();
            bool prepend = scheme == PrependScheme.Always || (scheme == PrependScheme.First && atStart);
            if (prepend && !(text.Length > 0 && (text[0] == replacement || text[0] == ' '))) buf.Append(replacement);
            foreach (char c in text) buf.Append(c == ' ' ? replacement : c);
            if (!split)
            {
                output.Add(buf.Span, atStart);
                continue;
            }
            var matches = Matches();
            replacementPattern.FindMatches(buf.Span, matches);
            Splitter.Apply(buf.Span, atStart, matches, SplitBehavior.MergedWithNext, false, output);
        }
    }

    public override void WriteJson(Utf8JsonWriter w)
    {
        w.WriteStartObject();
        w.WriteString("type", "Metaspace");
        w.WriteString("replacement", replacement.ToString());
        w.WriteString("prepend_scheme", SchemeName(scheme));
        w.WriteBoolean("split", split);
        w.WriteEndObject();
    }
}
