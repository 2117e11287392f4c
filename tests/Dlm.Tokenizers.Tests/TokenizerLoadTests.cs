using System.Text.Json;
using System.Text.Json.Nodes;
using Dlm.Core;
using Dlm.TestSupport;

namespace Dlm.Tokenizers.Tests;

/// <summary>Loading, saving, tokenizer_config.json, errors, and the span API.</summary>
public class TokenizerLoadTests
{
    private static string[] HardStrings() =>
        JsonSerializer.Deserialize<string[]>(File.ReadAllText(RepoPaths.Fixture("tokenizers", "hard_strings.json")))!;

    [Fact]
    public void Config_supplies_special_tokens_and_the_chat_template()
    {
        var llama = ReferenceParityTests.Load("llama3");
        Assert.Equal("<|begin_of_text|>", llama.BosToken);
        Assert.Equal("<|end_of_text|>", llama.EosToken);
        Assert.Equal(128000, llama.TokenToId("<|begin_of_text|>"));
        Assert.Equal("<|begin_of_text|>", llama.IdToToken(128000));
        Assert.Equal(128256, llama.VocabSize);
        Assert.Contains("start_header_id", llama.ChatTemplate);

        var qwen = ReferenceParityTests.Load("qwen3");
        Assert.Null(qwen.BosToken);
        Assert.Equal("<|im_end|>", qwen.EosToken);
        Assert.Equal("<|endoftext|>", qwen.PadToken);
        Assert.Contains("<|im_start|>", qwen.ChatTemplate);

        // DeepSeek writes its tokens as {"content": ...} objects.
        var deepseek = ReferenceParityTests.Load("deepseek_v3");
        Assert.Equal("<｜begin▁of▁sentence｜>", deepseek.BosToken);
        Assert.Equal("<｜end▁of▁sentence｜>", deepseek.EosToken);
    }

    [Fact]
    public void Saved_llama3_reloads_and_encodes_the_same()
    {
        var tok = ReferenceParityTests.Load("llama3");
        var dir = Directory.CreateTempSubdirectory("dlm-tok-");
        try
        {
            tok.Save(dir.FullName);
            var again = Tokenizer.FromPath(dir.FullName);
            Assert.Equal(tok.BosToken, again.BosToken);
            Assert.Equal(tok.ChatTemplate, again.ChatTemplate);
            Assert.Equal(tok.VocabSize, again.VocabSize);
            foreach (var s in HardStrings()) Assert.Equal(tok.Encode(s), again.Encode(s));
            // The saved merges are in the original string form; the pre-tokenizer and added tokens round-trip exactly.
            using var original = JsonDocument.Parse(File.ReadAllText(Path.Combine(ReferenceData.TokenizerFolder("llama3"), "tokenizer.json")));
            using var saved = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir.FullName, "tokenizer.json")));
            var (o, sv) = (original.RootElement, saved.RootElement);
            Assert.True(JsonElement.DeepEquals(o.GetProperty("model").GetProperty("merges"), sv.GetProperty("model").GetProperty("merges")));
            Assert.True(JsonElement.DeepEquals(o.GetProperty("pre_tokenizer"), sv.GetProperty("pre_tokenizer")));
            Assert.True(JsonElement.DeepEquals(o.GetProperty("added_tokens"), sv.GetProperty("added_tokens")));
        }
        finally { dir.Delete(true); }
    }

    [Fact]
    public void Bos_comes_from_template_processing_with_add_special_tokens()
    {
        var fixture = JsonDocument.Parse(File.ReadAllText(RepoPaths.Fixture("tokenizers", "llama3.json"))).RootElement.GetProperty("template");
        var json = JsonNode.Parse(File.ReadAllText(Path.Combine(ReferenceData.TokenizerFolder("llama3"), "tokenizer.json")))!;
        json["post_processor"] = JsonNode.Parse(fixture.GetProperty("post_processor").GetRawText());
        var tok = Tokenizer.FromJson(json.ToJsonString());
        var strings = HardStrings();
        var expected = fixture.GetProperty("ids_special").EnumerateArray().ToArray();
        for (int i = 0; i < strings.Length; i++)
        {
            var want = expected[i].EnumerateArray().Select(x => x.GetInt32()).ToArray();
            Assert.Equal(want, tok.Encode(strings[i], addSpecialTokens: true));
            Assert.Equal(128000, want[0]);
            Assert.Equal(want[1..], tok.Encode(strings[i]));
        }
    }

    [Theory]
    [InlineData("normalizer", """{"type":"Precompiled","precompiled_charsmap":""}""", "Precompiled")]
    [InlineData("pre_tokenizer", """{"type":"BertPreTokenizer"}""", "BertPreTokenizer")]
    [InlineData("decoder", """{"type":"CTC"}""", "CTC")]
    [InlineData("post_processor", """{"type":"Funky"}""", "Funky")]
    [InlineData("model", """{"type":"WordPiece","vocab":{}}""", "WordPiece")]
    public void Unknown_components_fail_at_load_naming_them(string field, string json, string name)
    {
        var doc = JsonNode.Parse("""{"model":{"type":"BPE","vocab":{"a":0},"merges":[]}}""")!;
        doc[field] = JsonNode.Parse(json);
        var e = Assert.Throws<DlmException>(() => Tokenizer.FromJson(doc.ToJsonString()));
        Assert.Contains(name, e.Message);
    }

    [Fact]
    public void Missing_files_fail_with_the_path()
    {
        var e = Assert.Throws<DlmException>(() => Tokenizer.FromPath("/nonexistent/tokenizer.json"));
        Assert.Contains("/nonexistent/tokenizer.json", e.Message);
    }

    [Fact]
    public void TryEncode_reports_the_size_it_needs()
    {
        var tok = ReferenceParityTests.Load("qwen3");
        var text = "The quick brown fox jumps over the lazy dog.";
        var ids = tok.Encode(text);
        Assert.False(tok.TryEncode(text, new int[ids.Length - 1], out int needed));
        Assert.Equal(ids.Length, needed);
        var buf = new int[ids.Length];
        Assert.True(tok.TryEncode(text, buf, out int written));
        Assert.Equal(ids, buf[..written]);
        Assert.Equal(ids.Length, tok.CountTokens(text));
    }

    [Fact]
    public void Encoding_is_thread_safe()
    {
        var tok = ReferenceParityTests.Load("llama3");
        var strings = HardStrings();
        var expected = strings.Select(s => tok.Encode(s)).ToArray();
        Parallel.For(0, 400, i => Assert.Equal(expected[i % strings.Length], tok.Encode(strings[i % strings.Length])));
    }

    [Fact]
    public void PreTokenize_shows_the_pieces_the_model_sees()
    {
        var tok = ReferenceParityTests.Load("llama3");
        Assert.Equal(["Hello", "Ġworld", "<|end_of_text|>", "Ġ", "Ġ", "123", "4"], tok.PreTokenize("Hello world<|end_of_text|>  1234"));
        // The byte-level pieces map back to exactly the input text.
        var text = "It's 2024, ça va? 😀  ok\n";
        var bytes = tok.PreTokenize(text).SelectMany(p => p.Select(c => ByteLevelAlphabet.TryCharToByte(c, out var b) ? b : throw new InvalidOperationException())).ToArray();
        Assert.Equal(text, System.Text.Encoding.UTF8.GetString(bytes));
    }

    [Theory]
    [InlineData("NFC", "e\u0301 \u00e9 \uFB01 \u2460", "\u00e9 \u00e9 \uFB01 \u2460")]
    [InlineData("NFD", "\u00e9 e\u0301", "e\u0301 e\u0301")]
    [InlineData("NFD", "caf\u00e9", "cafe\u0301")]
    [InlineData("NFKC", "e\u0301 \uFB01 \u2460 \uFF48", "\u00e9 fi 1 h")]
    [InlineData("NFKD", "\u00e9 \uFB01", "e\u0301 fi")]
    public void Unicode_normalizers_work_under_invariant_globalization(string form, string input, string expected)
    {
        // A Metaspace-free, pre-tokenizer-free Unigram of single chars shows the normalized text through decode.
        var chars = string.Concat(input, expected).Distinct().Where(c => c != ' ').Select(c => $"[\"{c}\", -1.0]");
        var json = "{\"normalizer\":{\"type\":\"" + form + "\"},\"pre_tokenizer\":null,\"decoder\":{\"type\":\"Fuse\"}," +
            "\"model\":{\"type\":\"Unigram\",\"unk_id\":0,\"vocab\":[[\"<unk>\",0.0],[\" \",-1.0]," + string.Join(",", chars) + "]}}";
        var tok = Tokenizer.FromJson(json);
        Assert.Equal(expected, tok.Decode(tok.Encode(input)));
    }
}
