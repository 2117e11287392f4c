using Dlm.Data.Build;
using Dlm.Data.Caches;
using Dlm.Data.Readers;
using Dlm.Data.Settings;
using Dlm.TestSupport;

namespace Dlm.Data.Tests;

public class LayoutTests
{
    [Fact]
    public void A_vocabulary_over_65535_ids_is_stored_as_uint32()
    {
        using var t = new TestData();
        t.Write("primer.jsonl", TestData.Primer);
        t.Write("notes.txt", "Hello world, this is a line.\nAnother line of text here.\n");
        var llama = ReferenceData.TokenizerFolder("llama3");
        var path = t.Write("settings.yaml", $$"""
            data:
              caches: {pretrain_token_cache: cache/pretrain, sft_token_cache: cache/sft}
              tokenizer:
                path: {{llama}}
                special_tokens: {sys: "<|reserved_special_token_0|>", usr: "<|reserved_special_token_1|>", asst: "<|reserved_special_token_2|>", eot: "<|eot_id|>"}
              sources:
                notes: {kind: lines, path: notes.txt, val_tokens: 3}
              mix_pretrain: {notes: 1.0}
              mix_sft: {primer: 1.0}
            """);
        var s = SettingsLoader.Load(path);
        BuildAll.Run(s);
        var dir = Path.Combine(s.PretrainRoot, "notes");
        var tok = CacheTokenizer.Load(s.Tokenizer);
        Assert.Contains("\"token_dtype\": \"uint32-le\"", File.ReadAllText(Path.Combine(dir, "meta.json")));
        var ids = tok.Tokenizer.Encode("Hello world, this is a line.").Concat(tok.Tokenizer.Encode("Another line of text here.")).ToArray();
        Assert.True(ids.Max() > 0);
        Assert.Equal(ids.Length * 4, new FileInfo(Path.Combine(dir, "val", "shard_00000.bin")).Length + new FileInfo(Path.Combine(dir, "train", "shard_00000.bin")).Length);
        using var val = PretrainCache.Open(dir, "val");
        var first = new int[3];
        val.Shards[0].CopyTo(0, first);
        Assert.Equal(ids[..3], first);
        using var sft = SftCache.Open(Path.Combine(s.SftRoot, "primer"), "train");
        var x = new int[sft.LengthOf(0)];
        var y = new int[x.Length];
        sft.Read(0, x, y);
        Assert.Contains(tok.SpecialTokenIds.Asst, x);
        Assert.True(x.Max() > 65535);
    }

    [Fact]
    public void Sft_examples_never_straddle_shards()
    {
        using var t = new TestData();
        var lines = Enumerable.Range(0, 40).Select(i =>
            $"{{\"messages\":[{{\"role\":\"user\",\"content\":\"question number {i} about {new string('x', i % 7)} things\"}},{{\"role\":\"assistant\",\"content\":\"answer {i}, which is fairly short.\"}}]}}");
        t.Write("primer.jsonl", string.Join("\n", lines) + "\n");
        var s = t.Settings(extra: "  sft_val_frac: 0.1"); // shard_bytes 2048: 1024 uint16 tokens per shard
        BuildAll.Run(s);
        var train = Path.Combine(s.SftRoot, "primer", "train");
        var shards = Directory.GetFiles(train, "shard_*.bin").Order(StringComparer.Ordinal).ToArray();
        Assert.True(shards.Length >= 1);
        using var cache = SftCache.Open(Path.Combine(s.SftRoot, "primer"), "train");
        Assert.Equal(36, cache.Count);
        long total = 0;
        foreach (var sh in shards)
        {
            var n = Path.GetFileName(sh)[6..^4];
            var idx = Npy.ReadInt64(Path.Combine(train, $"idx_{n}.npy"));
            Assert.Equal(0, idx[0]);
            Assert.True(new FileInfo(sh).Length <= 2048);
            Assert.Equal(new FileInfo(sh).Length * 2, new FileInfo(Path.Combine(train, $"labels_{n}.bin")).Length);
            total += idx.Length;
        }
        Assert.Equal(36, total);
    }
}

public class BrownSourceTests
{
    [Fact]
    public void Brown_documents_are_the_reference_readers_lines_file_by_file()
    {
        var src = new SourceSettings("brown", SourceKind.Brown, ReferenceData.BrownCorpus, new SourceOptions(), new Dlm.Core.SourceLocation("x"));
        var docs = Dlm.Data.Sources.DocumentSources.Read(src, 1, new Dlm.Data.Sources.SourceReadContext()).ToList();
        Assert.Equal(500, docs.Count);
        Assert.Equal(ReferenceData.BrownLines(), docs.SelectMany(d => d.Text.Split('\n')));
        Assert.Equal("The Fulton County Grand Jury said", Dlm.Data.Sources.BrownText.StripTags("The/at Fulton/np-tl County/nn-tl Grand/jj-tl Jury/nn-tl said/vbd"));
        Assert.Equal("a b\nc", System.Text.Encoding.UTF8.GetString(Dlm.Data.Sources.BrownText.StripFile("  a/x  b/y \n\n \t\nc/z\n"u8)));
    }

    [Fact]
    public void The_one_pass_ascii_strip_gives_the_line_by_line_output()
    {
        // The one-pass path classifies spaces as 9..13 and 32: that must be char.IsWhiteSpace's ASCII set.
        Assert.Equal([9, 10, 11, 12, 13, 32], Enumerable.Range(0, 128).Where(c => char.IsWhiteSpace((char)c)));
        var cases = new List<byte[]>();
        foreach (var f in Directory.GetFiles(ReferenceData.BrownCorpus).Where(f => Dlm.Data.Sources.BrownText.IsCorpusFile(Path.GetFileName(f))))
            cases.Add(File.ReadAllBytes(f));
        foreach (var t in new[] { "", " ", "\n\n", "a", "/", "//", "a/", "/a", "a/b/c", "x\r\ny/z\r\n", "\v a/b \f c\r", "\t\tend/nn" })
            cases.Add(System.Text.Encoding.ASCII.GetBytes(t));
        // Words and runs of every length around the 16-byte copies and the 64-bit masks.
        var rng = new Random(7);
        const string alphabet = "ab/ \t\n\r\v\fxyz/  ";
        for (int i = 0; i < 300; i++)
        {
            var b = new byte[rng.Next(0, 400)];
            for (int j = 0; j < b.Length; j++) b[j] = (byte)(rng.Next(8) == 0 ? alphabet[rng.Next(alphabet.Length)] : 'a' + rng.Next(3));
            cases.Add(b);
        }
        // Words, tags and runs of spaces that cross the 64-byte blocks of the compress path at every offset.
        foreach (var w in new[] { "a/b", "abc/de/f", "/x", "x/", "q", "//", new string('w', 70) + "/t" + new string('g', 60) })
            for (int pad = 0; pad < 70; pad++)
            {
                cases.Add(System.Text.Encoding.ASCII.GetBytes(new string(' ', pad) + w + " \n " + w));
                cases.Add(System.Text.Encoding.ASCII.GetBytes(new string('z', pad) + new string('\n', pad % 3 + 1) + new string(' ', 130 - pad) + w));
            }
        foreach (var c in cases)
        {
            var want = Dlm.Data.Sources.BrownText.StripFileLineByLine(c);
            Assert.Equal(want, Dlm.Data.Sources.BrownText.StripFile(c));
            Assert.Equal(System.Text.Encoding.UTF8.GetString(want), Dlm.Data.Sources.BrownText.StripFileToString(c));
            Assert.Equal(want, Dlm.Data.Sources.BrownText.StripAsciiByWords(c));
            if (Dlm.Data.Sources.BrownText.CanCompress) Assert.Equal(want, Dlm.Data.Sources.BrownText.StripAsciiByCompress(c));
        }
    }
}
