using System.Text.Json;
using Dlm.TestSupport;

namespace Dlm.Tokenizers.Tests;

/// <summary>
/// Small hand-written pipelines (Unigram with and without byte fallback, Metaspace always/first,
/// every Split behaviour with and without invert on a regex and a literal, Digits, Punctuation,
/// Whitespace, NFKC/Replace/Prepend normalizers, BPE with byte_fallback or fused unk, added tokens
/// with lstrip/rstrip/single_word/normalized, TemplateProcessing, Strip/Replace/Fuse/ByteFallback
/// decoders) encoded and decoded by the Rust library in tools/reference/tokenizer_fixtures.mjs.
/// </summary>
public class SyntheticPipelineTests
{
    public static TheoryData<string> Names()
    {
        var data = new TheoryData<string>();
        foreach (var p in Load().EnumerateArray()) data.Add(p.GetProperty("name").GetString()!);
        return data;
    }

    private static JsonElement Load() =>
        JsonDocument.Parse(File.ReadAllText(RepoPaths.Fixture("tokenizers", "synthetic.json"))).RootElement;

    private static int[] Ids(JsonElement e) => [.. e.EnumerateArray().Select(x => x.GetInt32())];

    [Theory]
    [MemberData(nameof(Names))]
    public void Pipeline_matches_the_rust_library(string name)
    {
        var p = Load().EnumerateArray().Single(x => x.GetProperty("name").GetString() == name);
        var tok = Tokenizer.FromJson(p.GetProperty("tokenizer").GetRawText());
        // Saving and loading again must not change anything.
        var reloaded = Tokenizer.FromJson(tok.ToJson());
        var failures = new List<string>();
        foreach (var c in p.GetProperty("cases").EnumerateArray())
        {
            var text = c.GetProperty("text").GetString()!;
            foreach (var (t, label) in new[] { (tok, "loaded"), (reloaded, "saved+loaded") })
            {
                var ids = t.Encode(text);
                if (!ids.SequenceEqual(Ids(c.GetProperty("ids"))))
                    failures.Add($"{label} {JsonSerializer.Serialize(text)}: want [{string.Join(",", Ids(c.GetProperty("ids")))}] got [{string.Join(",", ids)}]");
                var special = t.Encode(text, addSpecialTokens: true);
                if (!special.SequenceEqual(Ids(c.GetProperty("ids_special"))))
                    failures.Add($"{label} {JsonSerializer.Serialize(text)} +special: want [{string.Join(",", Ids(c.GetProperty("ids_special")))}] got [{string.Join(",", special)}]");
                var decoded = t.Decode(Ids(c.GetProperty("ids")));
                if (decoded != c.GetProperty("decoded").GetString())
                    failures.Add($"{label} {JsonSerializer.Serialize(text)}: decoded {JsonSerializer.Serialize(decoded)} want {c.GetProperty("decoded")}");
                var skipped = t.Decode(Ids(c.GetProperty("ids_special")), skipSpecialTokens: true);
                if (skipped != c.GetProperty("decoded_skip").GetString())
                    failures.Add($"{label} {JsonSerializer.Serialize(text)}: decoded (skip) {JsonSerializer.Serialize(skipped)} want {c.GetProperty("decoded_skip")}");
            }
        }
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }
}
