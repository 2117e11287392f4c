using System.Text.Json;
using Dlm.Tokenizers.Pipeline;

namespace Dlm.Tokenizers.AddedTokens;

/// <summary>
/// A token matched in the text before the model sees it (tokenizer.json <c>added_tokens</c>).
/// <c>Normalized</c> tokens are matched in the normalized text, the others in the raw text;
/// <c>Lstrip</c>/<c>Rstrip</c> swallow whitespace beside a match; <c>SingleWord</c> refuses a
/// match inside a word; <c>Special</c> tokens are dropped by decode with skip_special_tokens.
/// </summary>
internal sealed record AddedToken(int Id, string Content, bool SingleWord, bool Lstrip, bool Rstrip, bool Normalized, bool Special)
{
    public static AddedToken FromJson(JsonElement e) => new(
        e.GetProperty("id").GetInt32(),
        JsonRead.RequiredString(e, "content", "added token"),
        JsonRead.Bool(e, "single_word", false),
        JsonRead.Bool(e, "lstrip", false),
        JsonRead.Bool(e, "rstrip", false),
        JsonRead.Bool(e, "normalized", true),
        JsonRead.Bool(e, "special", false));

    public void WriteJson(Utf8JsonWriter w)
    {
        w.WriteStartObject();
        w.WriteNumber("id", Id);
        w.WriteString("content", Content);
        w.WriteBoolean("single_word", SingleWord);
        w.WriteBoolean("lstrip", Lstrip);
        w.WriteBoolean("rstrip", Rstrip);
        w.WriteBoolean("normalized", Normalized);
        w.WriteBoolean("special", Special);
        w.WriteEndObject();
    }
}
