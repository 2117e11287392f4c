using System.Text;
using System.Text.Json;
using Dlm.Core;
using Dlm.TestSupport;
using Dlm.Tokenizers.Training;

namespace Dlm.Tokenizers.Tests.Training;

public class BpeTrainerTests
{
    /// <summary>The settings tools/reference/bpe_train_check.mjs trains the committed fixture with.</summary>
    internal static readonly string[] FixtureSpecials = ["<|user|>", "<|assistant|>", "<|eot|>"];

    internal static BpeTrainingResult TrainFixture(int vocabSize = 2000, string[]? specials = null)
    {
        var trainer = new BpeTrainer(new BpeTrainerOptions { VocabSize = vocabSize, SpecialTokens = specials ?? FixtureSpecials });
        trainer.FeedFile(RepoPaths.Fixture("bpe", "train.txt"));
        return trainer.Train();
    }

    private static BpeTrainingResult TrainText(string text, int vocabSize, params string[] specials)
    {
        var trainer = new BpeTrainer(new BpeTrainerOptions { VocabSize = vocabSize, SpecialTokens = specials });
        foreach (var line in text.Split('\n')) trainer.Feed(line);
        return trainer.Train();
    }

    [Fact]
    public void Retraining_gives_the_committed_tokenizer_json_byte_for_byte()
    {
        var first = TrainFixture();
        var second = TrainFixture();
        Assert.Equal(first.ToTokenizerJson(), second.ToTokenizerJson());
        Assert.Equal(File.ReadAllText(RepoPaths.Fixture("bpe", "tokenizer.json")), first.ToTokenizerJson());
        Assert.Equal(File.ReadAllText(RepoPaths.Fixture("bpe", "tokenizer_config.json")), first.ToTokenizerConfigJson(eosToken: "<|eot|>"));
    }

    [Fact]
    public void Any_number_of_counting_threads_gives_the_same_result()
    {
        BpeTrainer Fed(int threads)
        {
            var t = new BpeTrainer(new BpeTrainerOptions { VocabSize = 1200, SpecialTokens = FixtureSpecials, Threads = threads });
            t.FeedFile(RepoPaths.Fixture("bpe", "train.txt"));
            t.FeedFile(RepoPaths.Fixture("bpe", "heldout.txt"));
            return t;
        }
        var one = Fed(1);
        var expected = one.Train().ToTokenizerJson();
        foreach (int threads in new[] { 2, 3, 7 })
        {
            var many = Fed(threads);
            Assert.Equal(one.TotalWords, many.TotalWords);
            Assert.Equal(one.DistinctWords, many.DistinctWords);
            Assert.Equal(expected, many.Train().ToTokenizerJson());
        }
    }

    [Fact]
    public void Learns_the_same_merges_as_the_hugging_face_trainer()
    {
        // hf_merges.txt: the Rust BpeTrainer on train.txt (alphabet = bytes seen, no specials).
        // Its ids differ from ours but order the same way, so the merges must agree one for one.
        var hf = File.ReadAllLines(RepoPaths.Fixture("bpe", "hf_merges.txt"));
        var result = TrainFixture(vocabSize: 256 + hf.Length, specials: []);
        Assert.Equal(hf.Length, result.Merges.Count);
        for (int i = 0; i < hf.Length; i++)
        {
            var m = result.Merges[i];
            Assert.True(hf[i] == $"{result.Vocab[m.Left]} {result.Vocab[m.Right]}",
                $"merge {i}: ours '{result.Vocab[m.Left]} {result.Vocab[m.Right]}', Hugging Face '{hf[i]}'");
        }
    }

    [Fact]
    public void Ids_are_specials_then_bytes_then_merges()
    {
        var r = TrainFixture(vocabSize: 600);
        Assert.Equal(600, r.VocabSize);
        Assert.Equal(FixtureSpecials, r.Vocab.Take(3));
        Assert.Equal(FixtureSpecials, r.SpecialTokens);
        var bytes = r.Vocab.Skip(3).Take(256).ToList();
        Assert.Equal(256, bytes.Distinct().Count());
        Assert.All(bytes, t => Assert.True(t.Length == 1 && ByteLevelAlphabet.TryCharToByte(t[0], out _)));
        Assert.Equal(bytes.OrderBy(t => t[0]), bytes);
        Assert.Equal(600 - 259, r.Merges.Count);
        for (int i = 0; i < r.Merges.Count; i++)
        {
            var m = r.Merges[i];
            Assert.Equal(259 + i, m.Merged);
            Assert.Equal(r.Vocab[m.Left] + r.Vocab[m.Right], r.Vocab[m.Merged]);
            Assert.True(m.Left < m.Merged && m.Right < m.Merged);
        }
        Assert.Equal(259, r.TokenToId(r.Vocab[259]));
        Assert.Null(r.TokenToId("not a token at all"));
    }

    [Fact]
    public void Highest_count_wins_and_ties_go_to_the_smallest_ids()
    {
        // Words "ab", " ab" x2, "cd", " cd" x2, "ef", " ef". (a,b) and (c,d) tie at 3: a's id is
        // smaller. Then (e,f), (Ġ,ab), (Ġ,cd) tie at 2: 'e' < 'Ġ' (U+0120), and ab's id < cd's.
        var r = TrainText("ab ab ab\ncd cd cd\nef ef", 256 + 6);
        var merges = r.Merges.Select(m => r.Vocab[m.Left] + "+" + r.Vocab[m.Right]).ToList();
        Assert.Equal(["a+b", "c+d", "e+f", "Ġ+ab", "Ġ+cd", "Ġ+ef"], merges);
    }

    [Fact]
    public void Overlapping_pairs_count_and_merge_left_to_right()
    {
        // "aaaa" holds (a,a) three times; merging it left to right gives [aa, aa], then (aa,aa).
        var r = TrainText("aaaa", 256 + 10);
        var merges = r.Merges.Select(m => r.Vocab[m.Left] + "+" + r.Vocab[m.Right]).ToList();
        Assert.Equal(["a+a", "aa+aa"], merges);
    }

    [Fact]
    public void Stops_when_no_pair_is_left_or_below_min_frequency()
    {
        var all = TrainText("abc abc", 1000);
        Assert.True(all.VocabSize < 1000);
        var trainer = new BpeTrainer(new BpeTrainerOptions { VocabSize = 1000, MinFrequency = 3 });
        trainer.Feed("xy xy xy zw zw");
        var r = trainer.Train();
        Assert.DoesNotContain(r.Merges, m => r.Vocab[m.Merged].Contains('z'));
        Assert.Contains(r.Merges, m => r.Vocab[m.Merged] == "xy");
    }

    [Fact]
    public void Special_token_text_in_training_data_is_never_merged_across()
    {
        var text = string.Concat(Enumerable.Repeat("hi<|eot|>there<|eot|>", 50));
        var r = TrainText(text, 400, "<|eot|>");
        Assert.DoesNotContain(r.Vocab.Skip(1), t => t.Contains("eot") || t.Contains("|>") || t.Contains("<|"));
        Assert.Contains("there", r.Vocab);
    }

    [Fact]
    public void Result_writes_loadable_json_with_the_pipeline_it_trained()
    {
        var r = TrainText("the cat sat on the mat", 280, "<|eot|>");
        using var doc = JsonDocument.Parse(r.ToTokenizerJson());
        var root = doc.RootElement;
        Assert.Equal("BPE", root.GetProperty("model").GetProperty("type").GetString());
        Assert.Equal(r.VocabSize, root.GetProperty("model").GetProperty("vocab").EnumerateObject().Count());
        Assert.Equal(r.Merges.Count, root.GetProperty("model").GetProperty("merges").GetArrayLength());
        var added = root.GetProperty("added_tokens")[0];
        Assert.Equal("<|eot|>", added.GetProperty("content").GetString());
        Assert.Equal(0, added.GetProperty("id").GetInt32());
        Assert.True(added.GetProperty("special").GetBoolean());
        var pre = root.GetProperty("pre_tokenizer").GetProperty("pretokenizers");
        Assert.Equal(BpeTrainerOptions.Gpt2Pattern, pre[0].GetProperty("pattern").GetProperty("Regex").GetString());
        Assert.Equal("ByteLevel", pre[1].GetProperty("type").GetString());
        Assert.False(pre[1].GetProperty("use_regex").GetBoolean());
        Assert.Equal("ByteLevel", root.GetProperty("decoder").GetProperty("type").GetString());

        using var config = JsonDocument.Parse(r.ToTokenizerConfigJson(eosToken: "<|eot|>"));
        Assert.Equal("<|eot|>", config.RootElement.GetProperty("eos_token").GetString());
        Assert.Equal(JsonValueKind.Null, config.RootElement.GetProperty("bos_token").ValueKind);
        Assert.Throws<DlmException>(() => r.ToTokenizerConfigJson(bosToken: "<s>"));
    }

    [Fact]
    public void Json_strings_escape_what_json_requires_and_nothing_else()
    {
        Assert.Equal("\"Ġa\\\"b\\\\c\\n\\u0001\\u007fé😀\"", TokenizerJsonWriter.Str("Ġa\"b\\c\n\u0001\u007fé😀"));
        Assert.Equal("\"\\ud800x\"", TokenizerJsonWriter.Str("\ud800x"));
        using var doc = JsonDocument.Parse(TokenizerJsonWriter.Str("\t\u2028<|x|>"));
        Assert.Equal("\t\u2028<|x|>", doc.RootElement.GetString());
    }

    [Fact]
    public void Save_writes_both_files()
    {
        var dir = Path.Combine(Path.GetTempPath(), "dlm-bpe-" + Guid.NewGuid().ToString("N"));
        try
        {
            var r = TrainText("some text to train on", 270, "<|eot|>");
            var path = r.Save(dir, eosToken: "<|eot|>");
            Assert.Equal(r.ToTokenizerJson(), File.ReadAllText(path));
            Assert.True(File.Exists(Path.Combine(dir, "tokenizer_config.json")));
            Assert.Empty(Directory.GetFiles(dir, ".tmp-*"));
        }
        finally
        {
            if (Directory.Exists(dir)) Directory.Delete(dir, true);
        }
    }

    [Fact]
    public void Reports_progress_for_both_phases()
    {
        var reports = new List<BpeTrainingProgress>();
        var sink = new ListProgress(reports);
        var trainer = new BpeTrainer(new BpeTrainerOptions { VocabSize = 800 });
        trainer.FeedFiles([RepoPaths.Fixture("bpe", "train.txt")], sink);
        trainer.Train(sink);
        var counting = reports.Where(p => p.Phase == BpeTrainingPhase.CountingWords).ToList();
        var merging = reports.Where(p => p.Phase == BpeTrainingPhase.Merging).ToList();
        Assert.NotEmpty(counting);
        Assert.Equal(new FileInfo(RepoPaths.Fixture("bpe", "train.txt")).Length, counting[^1].Done);
        Assert.True(merging.Count > 10);
        Assert.Equal(800, merging[^1].Done);
        Assert.True(merging.Zip(merging.Skip(1)).All(p => p.First.Done <= p.Second.Done));
    }

    private sealed class ListProgress(List<BpeTrainingProgress> list) : IProgress<BpeTrainingProgress>
    {
        public void Report(BpeTrainingProgress value) => list.Add(value);
    }

    [Theory]
    [InlineData(255, new string[0], "too small")]
    [InlineData(257, new[] { "<a>", "<b>" }, "at least 258")]
    [InlineData(300, new[] { "<a>", "<a>" }, "given twice")]
    [InlineData(300, new[] { "" }, "cannot be empty")]
    [InlineData(300, new[] { "!" }, "also a byte token")]
    public void Bad_options_fail_with_one_clear_line(int vocab, string[] specials, string message)
    {
        var e = Assert.Throws<DlmException>(() => new BpeTrainer(new BpeTrainerOptions { VocabSize = vocab, SpecialTokens = specials }));
        Assert.Contains(message, e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void Bad_regex_and_bad_files_fail_with_one_clear_line()
    {
        var e = Assert.Throws<DlmException>(() => new BpeTrainer(new BpeTrainerOptions { VocabSize = 300, Pattern = "(unclosed" }));
        Assert.Contains("regex", e.Message);

        var trainer = new BpeTrainer(new BpeTrainerOptions { VocabSize = 300 });
        var missing = Path.Combine(Path.GetTempPath(), "dlm-no-such-file-" + Guid.NewGuid().ToString("N"));
        Assert.Contains("not found", Assert.Throws<DlmException>(() => trainer.FeedFiles([missing])).Message);

        var bad = Path.GetTempFileName();
        try
        {
            File.WriteAllBytes(bad, [(byte)'o', (byte)'k', 0xFF, 0xFE]);
            Assert.Contains("not valid UTF-8", Assert.Throws<DlmException>(() => trainer.FeedFile(bad)).Message);
        }
        finally
        {
            File.Delete(bad);
        }
    }

    [Fact]
    public void A_file_is_fed_line_by_line_with_its_newlines()
    {
        var file = Path.GetTempFileName();
        try
        {
            // A UTF-8 BOM, CRLF, a last line without newline.
            File.WriteAllBytes(file, [0xEF, 0xBB, 0xBF, .. Encoding.UTF8.GetBytes("a b\r\nc  \nd")]);
            var fromFile = new BpeTrainer(new BpeTrainerOptions { VocabSize = 300 });
            fromFile.FeedFile(file);
            var byHand = new BpeTrainer(new BpeTrainerOptions { VocabSize = 300 });
            foreach (var s in new[] { "a b\r\n", "c  \n", "d" }) byHand.Feed(s);
            Assert.Equal(byHand.TotalWords, fromFile.TotalWords);
            Assert.Equal(byHand.Train().ToTokenizerJson(), fromFile.Train().ToTokenizerJson());
        }
        finally
        {
            File.Delete(file);
        }
    }
}
