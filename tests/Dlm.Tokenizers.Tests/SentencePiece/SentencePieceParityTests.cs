using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Dlm.TestSupport;

namespace Dlm.Tokenizers.Tests.SentencePiece;

/// <summary>
/// Id-for-id parity with the <c>sentencepiece</c> library (0.1.97) on models trained on Brown by
/// tools/reference/spm_fixtures.py — niels.model (niels-gpt's options: 16k unigram, byte fallback,
/// no dummy prefix, four user-defined chat tokens, nmt_nfkc) and nfkc.model (defaults: dummy prefix,
/// unknown pieces, a control symbol) and bpe.model (BPE merges, identity normalization, an unused
/// piece to resegment) — and of the <c>Precompiled</c> tokenizer.json normalizer with
/// the Rust tokenizers (tools/reference/precompiled_fixtures.mjs).
/// </summary>
public class SentencePieceParityTests
{
    private static readonly Dictionary<string, Tokenizer> Loaded = [];

    internal static Tokenizer Load(string file)
    {
        lock (Loaded)
        {
            if (!Loaded.TryGetValue(file, out var t)) Loaded[file] = t = Tokenizer.FromPath(RepoPaths.Fixture("spm", file));
            return t;
        }
    }

    private static JsonElement Fixture(string name) =>
        JsonDocument.Parse(File.ReadAllText(RepoPaths.Fixture("spm", name + ".json"))).RootElement;

    private static int[] Ids(JsonElement e) => [.. e.EnumerateArray().Select(x => x.GetInt32())];

    private static string Show(IEnumerable<int> ids) => "[" + string.Join(",", ids) + "]";

    [Theory]
    [InlineData("niels")]
    [InlineData("nfkc")]
    [InlineData("bpe")]
    public void Hard_strings_encode_and_decode_like_sentencepiece(string model)
    {
        var tok = Load(model + ".model");
        var failures = new List<string>();
        foreach (var c in Fixture(model).GetProperty("hard").EnumerateArray())
        {
            var text = c.GetProperty("text").GetString()!;
            var expected = Ids(c.GetProperty("ids"));
            var got = tok.Encode(text);
            if (!got.SequenceEqual(expected))
                failures.Add($"{JsonSerializer.Serialize(text)}\n  want {Show(expected)}\n  got  {Show(got)}");
            // sentencepiece names an unknown piece by the text it covers; the id's own piece is <unk>.
            int unk = tok.TokenToId("<unk>")!.Value;
            var pieces = c.GetProperty("pieces").EnumerateArray().Select((p, i) => expected[i] == unk ? "<unk>" : p.GetString()).ToArray();
            if (!expected.Select(tok.IdToToken).SequenceEqual(pieces))
                failures.Add($"{JsonSerializer.Serialize(text)}: pieces differ");
            var bosEos = tok.Encode(text, addSpecialTokens: true);
            if (!bosEos.SequenceEqual(Ids(c.GetProperty("ids_bos_eos"))))
                failures.Add($"{JsonSerializer.Serialize(text)} with BOS/EOS: got {Show(bosEos)}");
            var decoded = tok.Decode(expected);
            if (decoded != c.GetProperty("decoded").GetString())
                failures.Add($"{JsonSerializer.Serialize(text)} decodes to {JsonSerializer.Serialize(decoded)}, want {JsonSerializer.Serialize(c.GetProperty("decoded").GetString())}");
        }
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    [Theory]
    [InlineData("niels")]
    [InlineData("nfkc")]
    [InlineData("bpe")]
    public void Id_sequences_decode_like_sentencepiece(string model)
    {
        var tok = Load(model + ".model");
        var failures = new List<string>();
        foreach (var c in Fixture(model).GetProperty("decode").EnumerateArray())
        {
            var ids = Ids(c.GetProperty("ids"));
            var want = c.GetProperty("decoded").GetString();
            var got = tok.Decode(ids);
            if (got != want) failures.Add($"{Show(ids)}: want {JsonSerializer.Serialize(want)}, got {JsonSerializer.Serialize(got)}");
        }
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    [Theory]
    [InlineData("niels", "niels.model")]
    [InlineData("nfkc", "nfkc.model")]
    [InlineData("bpe", "bpe.model")]
    [InlineData("precompiled", "precompiled.tokenizer.json")]
    public void Every_brown_line_encodes_like_the_reference(string fixture, string file)
    {
        var tok = Load(file);
        var f = Fixture(fixture);
        foreach (var s in f.GetProperty("brown_sample").EnumerateArray())
            Assert.Equal(Ids(s.GetProperty("ids")), tok.Encode(s.GetProperty("text").GetString()!));
        var byFile = ReferenceParityTests.BrownByFile();
        var failures = new List<string>();
        var buffer = new int[1 << 16];
        var sb = new StringBuilder();
        // sentencepiece's decode of every line's ids, where the fixture has it (not the tokenizer.json one).
        using var decoded = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var entry in f.GetProperty("brown_files").EnumerateArray())
        {
            var name = entry.GetProperty("file").GetString()!;
            var lines = byFile[name];
            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            long tokens = 0;
            foreach (var line in lines)
            {
                Assert.True(tok.TryEncode(line, buffer, out int n));
                tokens += n;
                sb.Clear();
                for (int i = 0; i < n; i++) { if (i > 0) sb.Append(','); sb.Append(buffer[i]); }
                sb.Append('\n');
                hash.AppendData(Encoding.UTF8.GetBytes(sb.ToString()));
                decoded.AppendData(Encoding.UTF8.GetBytes(tok.Decode(buffer.AsSpan(0, n)) + "\n"));
            }
            Assert.Equal(entry.GetProperty("lines").GetInt32(), lines.Count);
            var digest = Convert.ToHexStringLower(hash.GetHashAndReset());
            if (tokens != entry.GetProperty("tokens").GetInt64() || digest != entry.GetProperty("sha256").GetString())
                failures.Add($"{name}: {tokens} tokens, want {entry.GetProperty("tokens").GetInt64()} (digest {(digest == entry.GetProperty("sha256").GetString() ? "same" : "differs")})");
        }
        Assert.True(failures.Count == 0, string.Join("\n", failures.Take(20)));
        if (f.TryGetProperty("brown_decoded_sha256", out var want))
            Assert.Equal(want.GetString(), Convert.ToHexStringLower(decoded.GetHashAndReset()));
    }

    [Fact]
    public void Precompiled_tokenizer_json_matches_the_rust_library_on_hard_strings()
    {
        var tok = Load("precompiled.tokenizer.json");
        var failures = new List<string>();
        foreach (var c in Fixture("precompiled").GetProperty("hard").EnumerateArray())
        {
            var text = c.GetProperty("text").GetString()!;
            var expected = Ids(c.GetProperty("ids"));
            var got = tok.Encode(text);
            if (!got.SequenceEqual(expected))
                failures.Add($"{JsonSerializer.Serialize(text)}\n  want {Show(expected)}\n  got  {Show(got)}");
            var decoded = tok.Decode(expected);
            if (decoded != c.GetProperty("decoded").GetString())
                failures.Add($"{JsonSerializer.Serialize(text)} decodes to {JsonSerializer.Serialize(decoded)}");
        }
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }
}
