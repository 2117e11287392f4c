using System.Text.Json;
using Dlm.Core;
using Dlm.Tokenizers.Pipeline;

namespace Dlm.Tokenizers.PostProcessors;

/// <summary>Adds special tokens around an encoded sequence when asked to (Hugging Face's <c>PostProcessor</c>).</summary>
internal abstract class PostProcessor
{
    /// <summary>Rewrites <paramref name="ids"/> (one sequence) in place; called only with add_special_tokens.</summary>
    public abstract void Process(IdBuffer ids);

    public abstract void WriteJson(Utf8JsonWriter w);

    public static PostProcessor FromJson(JsonElement e)
    {
        var type = JsonRead.Type(e, "post_processor");
        return type switch
        {
            "Sequence" => new SequenceProcessor([.. JsonRead.Array(e, "processors", "Sequence post_processor").EnumerateArray().Select(FromJson)]),
            "ByteLevel" => new ByteLevelProcessor(e.Clone()),
            "TemplateProcessing" => TemplateProcessing.Parse(e),
            "BertProcessing" or "RobertaProcessing" => ClsSepProcessing.Parse(e, type),
            _ => throw new DlmException($"tokenizer.json: unsupported post_processor type \"{type}\""),
        };
    }
}

/// <summary>Runs post-processors one after another.</summary>
internal sealed class SequenceProcessor(PostProcessor[] steps) : PostProcessor
{
    public override void Process(IdBuffer ids)
    {
        foreach (var s in steps) s.Process(ids);
    }

    public override void WriteJson(Utf8JsonWriter w)
    {
        w.WriteStartObject();
        w.WriteString("type", "Sequence");
        w.WriteStartArray("processors");
        foreach (var s in steps) s.WriteJson(w);
        w.WriteEndArray();
        w.WriteEndObject();
    }
}

/// <summary>ByteLevel's post-processing only trims offsets, which dlm does not report: ids pass unchanged.</summary>
internal sealed class ByteLevelProcessor(JsonElement json) : PostProcessor
{
    public override void Process(IdBuffer ids) { }

    public override void WriteJson(Utf8JsonWriter w) => json.WriteTo(w);
}

/// <summary>
/// A template such as <c>&lt;|begin_of_text|&gt; $A</c>: special tokens before and after the
/// sequence. Only the single-sequence template is applied; the pair template is kept for saving.
/// </summary>
internal sealed class TemplateProcessing(JsonElement json, int[] prefix, int[] suffix) : PostProcessor
{
    public static TemplateProcessing Parse(JsonElement e)
    {
        var specials = new Dictionary<string, int[]>(StringComparer.Ordinal);
        if (e.TryGetProperty("special_tokens", out var st) && st.ValueKind == JsonValueKind.Object)
            foreach (var p in st.EnumerateObject())
                specials[p.Name] = [.. JsonRead.Array(p.Value, "ids", $"TemplateProcessing special token {p.Name}").EnumerateArray().Select(x => x.GetInt32())];
        var prefix = new List<int>();
        var suffix = new List<int>();
        bool seenSequence = false;
        foreach (var item in JsonRead.Array(e, "single", "TemplateProcessing").EnumerateArray())
        {
            if (item.TryGetProperty("Sequence", out _))
            {
                if (seenSequence) throw new DlmException("tokenizer.json: TemplateProcessing single template names the sequence twice");
                seenSequence = true;
            }
            else if (item.TryGetProperty("SpecialToken", out var sp))
            {
                var name = JsonRead.RequiredString(sp, "id", "TemplateProcessing SpecialToken");
                if (!specials.TryGetValue(name, out var ids))
                    throw new DlmException($"tokenizer.json: TemplateProcessing uses \"{name}\", which is not in its special_tokens");
                (seenSequence ? suffix : prefix).AddRange(ids);
            }
            else throw new DlmException("tokenizer.json: TemplateProcessing piece is neither Sequence nor SpecialToken");
        }
        return new TemplateProcessing(e.Clone(), [.. prefix], [.. suffix]);
    }

    public override void Process(IdBuffer ids)
    {
        ids.Insert(0, prefix);
        ids.AddRange(suffix);
    }

    public override void WriteJson(Utf8JsonWriter w) => json.WriteTo(w);
}

/// <summary>BERT/RoBERTa style: CLS before the sequence, SEP after.</summary>
internal sealed class ClsSepProcessing(JsonElement json, int cls, int sep) : PostProcessor
{
    public static ClsSepProcessing Parse(JsonElement e, string type)
    {
        static int Id(JsonElement e, string name, string type) =>
            e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Array && v.GetArrayLength() == 2
                ? v[1].GetInt32() : throw new DlmException($"tokenizer.json: {type} needs \"{name}\": [token, id]");
        return new ClsSepProcessing(e.Clone(), Id(e, "cls", type), Id(e, "sep", type));
    }

    public override void Process(IdBuffer ids)
    {
        ids.Insert(0, [cls]);
        ids.Add(sep);
    }

    public override void WriteJson(Utf8JsonWriter w) => json.WriteTo(w);
}
