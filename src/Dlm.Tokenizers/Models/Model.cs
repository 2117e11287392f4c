using System.Text.Json;
using Dlm.Core;
using Dlm.Tokenizers.Pipeline;

namespace Dlm.Tokenizers.Models;

/// <summary>Turns one pre-tokenized piece into ids (Hugging Face's <c>Model</c>: BPE, Unigram).</summary>
internal abstract class Model
{
    /// <summary>Appends the ids of <paramref name="piece"/> to <paramref name="output"/>.</summary>
    public abstract void Tokenize(ReadOnlySpan<char> piece, IdBuffer output);

    public abstract int? TokenToId(ReadOnlySpan<char> token);

    public abstract string? IdToToken(int id);

    /// <summary>One more than the largest id of the model's vocabulary.</summary>
    public abstract int VocabSize { get; }

    public abstract void WriteJson(Utf8JsonWriter w);

    public static Model FromJson(JsonElement e)
    {
        // Old BPE files may omit "type"; they are recognised by their merges.
        string type = e.TryGetProperty("type", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString()!
            : e.TryGetProperty("merges", out _) ? "BPE"
            : throw new DlmException("tokenizer.json: model has no \"type\"");
        return type switch
        {
            "BPE" => BpeModel.Parse(e),
            "Unigram" => UnigramModel.Parse(e),
            _ => throw new DlmException($"tokenizer.json: unsupported model type \"{type}\""),
        };
    }
}
