using System.Text;
using Dlm.Core;
using Dlm.TestSupport;

namespace Dlm.Tokenizers.Tests.SentencePiece;

/// <summary>Loading spm.model files and folders, special tokens, saving, errors, and the allocation-free span API.</summary>
public class SentencePieceLoadTests
{
    private const string Sentinel = "84a5023f67d74cf29cc4001becde983c";
    private static readonly string[] NielsTokens = [.. new[] { "sys", "usr", "asst", "eot" }.Select(r => $"<|ngpt_{r}_{Sentinel}|>")];

    private static Tokenizer Niels => SentencePieceParityTests.Load("niels.model");

    [Fact]
    public void Niels_model_has_its_chat_tokens_at_ids_3_to_6()
    {
        var tok = Niels;
        Assert.True(tok.IsSentencePiece);
        Assert.Equal(16000, tok.VocabSize);
        for (int i = 0; i < 4; i++)
        {
            Assert.Equal(3 + i, tok.TokenToId(NielsTokens[i]));
            Assert.Equal(NielsTokens[i], tok.IdToToken(3 + i));
            Assert.Equal([3 + i], tok.Encode(NielsTokens[i]));
            Assert.True(tok.IsSpecial(3 + i));
        }
        Assert.Equal(["<unk>", "<s>", "</s>", .. NielsTokens], tok.SpecialTokens);
        Assert.False(tok.IsSpecial(tok.TokenToId("▁the")!.Value));
        Assert.Equal("<s>", tok.BosToken);
        Assert.Equal("</s>", tok.EosToken);
        Assert.Null(tok.PadToken);
        Assert.Null(tok.ChatTemplate);
        Assert.Null(tok.TokenToId("not a piece"));
        Assert.Null(tok.IdToToken(16000));
    }

    [Fact]
    public void Skipping_special_tokens_drops_user_defined_and_control_pieces()
    {
        var tok = Niels;
        var ids = tok.Encode(NielsTokens[1] + "Hello there" + NielsTokens[3], addSpecialTokens: true);
        Assert.Equal(1, ids[0]);
        Assert.Equal(2, ids[^1]);
        Assert.Equal(NielsTokens[1] + "Hello there" + NielsTokens[3], tok.Decode(ids));
        Assert.Equal("Hello there", tok.Decode(ids, skipSpecialTokens: true));
    }

    [Theory]
    [InlineData("spm.model")]
    [InlineData("tokenizer.model")]
    public void A_folder_with_a_sentencepiece_model_loads(string name)
    {
        var dir = Directory.CreateTempSubdirectory("dlm-spm-");
        try
        {
            File.Copy(RepoPaths.Fixture("spm", "niels.model"), Path.Combine(dir.FullName, name));
            var tok = Tokenizer.FromPath(dir.FullName);
            Assert.True(tok.IsSentencePiece);
            const string text = "The Fulton County Grand Jury said Friday an investigation";
            Assert.Equal(Niels.Encode(text), tok.Encode(text));
        }
        finally { dir.Delete(true); }
    }

    [Fact]
    public void A_tokenizer_config_beside_the_model_supplies_the_chat_template_and_tokens()
    {
        var dir = Directory.CreateTempSubdirectory("dlm-spm-");
        try
        {
            File.Copy(RepoPaths.Fixture("spm", "niels.model"), Path.Combine(dir.FullName, "tokenizer.model"));
            const string template = "{% for m in messages %}{{ m.content }}{% endfor %}";
            File.WriteAllText(Path.Combine(dir.FullName, "tokenizer_config.json"),
                System.Text.Json.JsonSerializer.Serialize(new Dictionary<string, object> { ["eos_token"] = NielsTokens[3], ["chat_template"] = template, ["add_eos_token"] = false }));
            var tok = Tokenizer.FromPath(dir.FullName);
            Assert.Equal(NielsTokens[3], tok.EosToken);
            Assert.Equal("<s>", tok.BosToken);
            Assert.Equal(template, tok.ChatTemplate);
            // add_eos_token false, add_bos_token unset (so true): BOS only, as Hugging Face's slow tokenizers do.
            Assert.Equal([1, .. Niels.Encode("Hello")], tok.Encode("Hello", addSpecialTokens: true));
            var copy = Directory.CreateDirectory(Path.Combine(dir.FullName, "copy"));
            tok.Save(copy.FullName);
            Assert.Equal(tok.ChatTemplate, Tokenizer.FromPath(copy.FullName).ChatTemplate);
        }
        finally { dir.Delete(true); }
    }

    [Fact]
    public void A_model_file_without_the_model_extension_is_recognised()
    {
        var file = Path.GetTempFileName();
        try
        {
            File.Copy(RepoPaths.Fixture("spm", "nfkc.model"), file, overwrite: true);
            Assert.True(Tokenizer.FromPath(file).IsSentencePiece);
        }
        finally { File.Delete(file); }
    }

    [Fact]
    public void Saving_writes_the_model_bytes_and_tokenizer_json_is_refused()
    {
        var tok = Niels;
        var dir = Directory.CreateTempSubdirectory("dlm-spm-");
        try
        {
            tok.Save(dir.FullName);
            Assert.Equal(File.ReadAllBytes(RepoPaths.Fixture("spm", "niels.model")), File.ReadAllBytes(Path.Combine(dir.FullName, "spm.model")));
            var e = Assert.Throws<DlmException>(tok.ToJson);
            Assert.Contains("SentencePiece", e.Message);
        }
        finally { dir.Delete(true); }
    }

    [Fact]
    public void An_empty_folder_names_the_files_it_looked_for()
    {
        var dir = Directory.CreateTempSubdirectory("dlm-spm-");
        try
        {
            var e = Assert.Throws<DlmException>(() => Tokenizer.FromPath(dir.FullName));
            Assert.Equal($"{dir.FullName}: no tokenizer.json, spm.model or tokenizer.model in this folder", e.Message);
        }
        finally { dir.Delete(true); }
    }

    [Fact]
    public void Broken_model_files_fail_with_the_path_and_what_is_wrong()
    {
        var file = Path.Combine(Path.GetTempPath(), $"dlm-broken-{Environment.ProcessId}.model");
        try
        {
            File.WriteAllBytes(file, File.ReadAllBytes(RepoPaths.Fixture("spm", "niels.model"))[..5000]);
            var e = Assert.Throws<DlmException>(() => Tokenizer.FromPath(file));
            Assert.StartsWith($"{file}: not a SentencePiece model: invalid protobuf", e.Message);

            File.WriteAllText(file, "just some text, not a protobuf");
            e = Assert.Throws<DlmException>(() => Tokenizer.FromPath(file));
            Assert.StartsWith($"{file}: not a SentencePiece model", e.Message);
        }
        finally { File.Delete(file); }
    }

    [Theory]
    [InlineData(3, "word")]
    [InlineData(4, "char")]
    public void Model_types_other_than_unigram_and_bpe_are_refused_by_name(int type, string name)
    {
        var bytes = Proto(
            Message(1, Proto(Text(1, "<unk>"), Varint(3, 2))),
            Message(1, Proto(Text(1, "a"), Float(2, -1f))),
            Message(2, Proto(Varint(3, type))));
        var e = Assert.Throws<DlmException>(() => Tokenizer.FromSentencePiece(bytes));
        Assert.Equal($"SentencePiece model type {name} is not supported (dlm reads unigram and bpe models)", e.Message);
    }

    [Fact]
    public void A_hand_written_model_proto_reads_its_fields_and_defaults()
    {
        // No normalizer spec: the proto defaults apply (dummy prefix, whitespace cleanup, no charsmap).
        var bytes = Proto(
            Message(1, Proto(Text(1, "<unk>"), Varint(3, 2))),
            Message(1, Proto(Text(1, "<s>"), Varint(3, 3))),
            Message(1, Proto(Text(1, "▁ab"), Float(2, -1f))),
            Message(1, Proto(Text(1, "▁"), Float(2, -2f))),
            Message(1, Proto(Text(1, "a"), Float(2, -3f))),
            Message(1, Proto(Text(1, "b"), Float(2, -3f))),
            Varint(99, 7)); // an unknown field is skipped
        var tok = Tokenizer.FromSentencePiece(bytes);
        Assert.Equal([2, 3, 4], tok.Encode("  ab   ab  a"[..8]));
        Assert.Equal([2, 3, 0, 4], tok.Encode("ab  ?a"));
        Assert.Equal("ab  ⁇ a", tok.Decode([2, 3, 0, 4])); // "▁" then the unknown surface " ⁇ "
        Assert.Equal("<s>", tok.BosToken);
        Assert.Null(tok.EosToken);
        Assert.Equal([1, 2], tok.Encode("ab", addSpecialTokens: true));
    }

    [Fact]
    public void Encoding_into_a_buffer_allocates_nothing_once_warm()
    {
        var tok = Niels;
        var lines = ReferenceData.BrownLines().Take(500).Append(NielsTokens[0] + "ｆｕｌｌ ﬁ 😀 <0x41>").ToList();
        var buffer = new int[4096];
        foreach (var l in lines) Assert.True(tok.TryEncode(l, buffer, out _));
        long before = GC.GetAllocatedBytesForCurrentThread();
        foreach (var l in lines) tok.TryEncode(l, buffer, out _);
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Theory]
    [InlineData("niels.model")]
    [InlineData("bpe.model")]
    public void Encoding_on_many_threads_gives_the_same_ids(string model)
    {
        var tok = SentencePieceParityTests.Load(model);
        var lines = ReferenceData.BrownLines().Take(3000).ToArray();
        var sequential = lines.Select(l => tok.Encode(l)).ToArray();
        var parallel = new int[lines.Length][];
        Parallel.For(0, lines.Length, new ParallelOptions { MaxDegreeOfParallelism = 4 }, i => parallel[i] = tok.Encode(lines[i]));
        for (int i = 0; i < lines.Length; i++) Assert.Equal(sequential[i], parallel[i]);
    }

    [Fact]
    public void The_precompiled_normalizer_round_trips_through_tokenizer_json()
    {
        var tok = SentencePieceParityTests.Load("precompiled.tokenizer.json");
        var again = Tokenizer.FromJson(tok.ToJson());
        foreach (var s in new[] { "ｆｕｌｌ－ｗｉｄｔｈ ﬁ ㎏ Ǆ", "e\u0301 A\u030a \r\n x", "plain text" })
            Assert.Equal(tok.Encode(s), again.Encode(s));
        var e = Assert.Throws<DlmException>(() => Tokenizer.FromJson("""{"normalizer":{"type":"Precompiled","precompiled_charsmap":"%%%"},"model":{"type":"Unigram","unk_id":0,"vocab":[["<unk>",0]]}}"""));
        Assert.Equal("tokenizer.json: Precompiled normalizer's precompiled_charsmap is not base64", e.Message);
    }

    // A minimal protobuf writer for hand-made ModelProto messages.
    private static byte[] Proto(params byte[][] fields) => [.. fields.SelectMany(f => f)];

    private static byte[] Tag(int field, int wire) => VarintBytes((ulong)(field << 3 | wire));

    private static byte[] VarintBytes(ulong v)
    {
        var b = new List<byte>();
        do { byte x = (byte)(v & 0x7f); v >>= 7; b.Add(v == 0 ? x : (byte)(x | 0x80)); } while (v != 0);
        return [.. b];
    }

    private static byte[] Varint(int field, long value) => [.. Tag(field, 0), .. VarintBytes((ulong)value)];

    private static byte[] Float(int field, float value) => [.. Tag(field, 5), .. BitConverter.GetBytes(value)];

    private static byte[] Message(int field, byte[] body) => [.. Tag(field, 2), .. VarintBytes((ulong)body.Length), .. body];

    private static byte[] Text(int field, string s) => Message(field, Encoding.UTF8.GetBytes(s));
}
