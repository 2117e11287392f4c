using System.Buffers.Binary;
using System.Diagnostics;
using Dlm.Core;
using Dlm.Data.Build;
using Dlm.Data.Caches;
using Dlm.Data.Readers;
using Dlm.Data.Settings;
using Dlm.Data.Sources;
using Parquet;
using Parquet.Schema;

namespace Dlm.Data.Tests;

public class CacheContentTests
{
    [Fact]
    public void Pretrain_cache_splits_val_first_rolls_shards_and_matches_the_tokenizer()
    {
        using var t = new TestData();
        var s = t.Settings();
        BuildAll.Run(s);
        var dir = Path.Combine(s.PretrainRoot, "notes");
        var tok = CacheTokenizer.Load(s.Tokenizer);
        var all = File.ReadLines(Path.Combine(t.Dir, "notes.txt")).Where(l => l.Length > 0).SelectMany(l => tok.Tokenizer.Encode(l)).ToArray();
        using var val = PretrainCache.Open(dir, "val");
        using var train = PretrainCache.Open(dir, "train");
        Assert.Equal(500, val.Tokens);
        Assert.Equal(all.Length - 500, train.Tokens);
        Assert.All(train.Shards.SkipLast(1), sh => Assert.Equal(1024, sh.Length)); // 2048 bytes / uint16
        var read = new List<int>();
        foreach (var sh in val.Shards.Concat(train.Shards)) { var buf = new int[sh.Length]; sh.CopyTo(0, buf); read.AddRange(buf); }
        Assert.Equal(all, read);
    }

    [Fact]
    public void Meta_json_is_what_python_json_dump_writes_and_idx_loads_in_numpy()
    {
        using var t = new TestData();
        var s = t.Settings();
        BuildAll.Run(s);
        var script = """
            import json, sys, numpy as np
            for p in sys.argv[1:3]:
                text = open(p, encoding='utf-8').read()
                assert json.dumps(json.loads(text), indent=2, sort_keys=True, ensure_ascii=False) == text, p
            idx = np.load(sys.argv[3])
            assert idx.dtype == np.int64 and idx.ndim == 1, idx.dtype
            print(len(idx))
            """;
        var psi = new ProcessStartInfo("/usr/bin/python3") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "-c", script, Path.Combine(s.PretrainRoot, "notes", "meta.json"), Path.Combine(s.SftRoot, "primer", "meta.json"), Path.Combine(s.SftRoot, "primer", "train", "idx_00000.npy") })
            psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEnd();
        var stderr = p.StandardError.ReadToEnd();
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, stderr);
        using var sft = SftCache.Open(Path.Combine(s.SftRoot, "primer"), "train");
        Assert.Equal(sft.Count.ToString(System.Globalization.CultureInfo.InvariantCulture), stdout.Trim());
    }

    [Fact]
    public void Python_float_repr()
    {
        Assert.Equal("0.1", PythonJson.FloatRepr(0.1));
        Assert.Equal("1e-05", PythonJson.FloatRepr(1e-5));
        Assert.Equal("1.0", PythonJson.FloatRepr(1));
        Assert.Equal("1e+16", PythonJson.FloatRepr(1e16));
        Assert.Equal("1000000000000000.0", PythonJson.FloatRepr(1e15));
        Assert.Equal("0.0001", PythonJson.FloatRepr(1e-4));
        Assert.Equal("-2.5", PythonJson.FloatRepr(-2.5));
    }

    [Fact]
    public void Sft_cache_labels_assistant_content_and_eot_and_the_sampler_pads()
    {
        using var t = new TestData();
        var s = t.Settings(extra: "  sft_val_frac: 0.25");
        BuildAll.Run(s);
        var dir = Path.Combine(s.SftRoot, "primer");
        using var train = SftCache.Open(dir, "train");
        using var val = SftCache.Open(dir, "val");
        Assert.Equal(3, train.Count);
        Assert.Equal(1, val.Count);
        var tok = CacheTokenizer.Load(s.Tokenizer);
        for (int i = 0; i < train.Count; i++)
        {
            var ids = new int[train.LengthOf(i)];
            var labels = new int[ids.Length];
            train.Read(i, ids, labels);
            Assert.True(ids[0] is 3 or 4); // a sys or usr token (niels-gpt's ids 3, 4) opens every example
            for (int j = 0; j < ids.Length; j++) Assert.True(labels[j] == -100 || labels[j] == ids[j]);
            Assert.Equal(6, labels[^1]); // the assistant's eot (id 6) is trained
            Assert.Contains(5, ids); // asst token
            Assert.Equal(-100, labels[Array.IndexOf(ids, 5)]); // the assistant header is not trained
        }
        var sampler = new SftBatchSampler(new Dictionary<string, (double, SftCache)> { ["primer"] = (1.0, train) }, 64, 6, seed: 1);
        var batch = sampler.NextBatch(2);
        Assert.Equal(6, batch.Inputs[^1]); // padded with eot
        Assert.Equal(-100, batch.Targets[^1]);
        Assert.Equal(0f, batch.LossMask[^1]);
        Assert.Contains(1f, batch.LossMask);
    }

    [Fact]
    public void Sft_reader_reads_niels_gpts_flat_layout()
    {
        using var t = new TestData();
        var dir = Path.Combine(t.Dir, "flat");
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "meta.json"), "{\"token_dtype\": \"uint16-le\", \"special_token_ids\": {\"eot\": 6}}");
        ushort[] ids = [4, 10, 6, 5, 11, 12, 6, 4, 13, 6, 5, 14, 6];
        int[] labels = [-100, -100, -100, -100, 11, 12, 6, -100, -100, -100, -100, 14, 6];
        File.WriteAllBytes(Path.Combine(dir, "train_input_ids.bin"), ids.SelectMany(v => BitConverter.GetBytes(v)).ToArray());
        File.WriteAllBytes(Path.Combine(dir, "train_labels.bin"), labels.SelectMany(BitConverter.GetBytes).ToArray());
        File.WriteAllBytes(Path.Combine(dir, "train_idx.npy"), Npy.EncodeInt64([0, 7]));
        using var c = SftCache.Open(dir, "train");
        Assert.True(c.IsFlatLayout);
        Assert.Equal(2, c.Count);
        Assert.Equal(6, c.LengthOf(1));
        var x = new int[6];
        var y = new int[6];
        c.Read(1, x, y);
        Assert.Equal([4, 13, 6, 5, 14, 6], x);
        Assert.Equal([-100, -100, -100, -100, 14, 6], y);
    }

    [Fact]
    public void Pretrain_sampler_draws_windows_inside_one_shard_by_mix_weight()
    {
        using var t = new TestData();
        var s = t.Settings(sources: "    other: {kind: lines, path: notes.txt, val_tokens: 0}", mixPretrain: "{notes: 0.25, other: 0.75}");
        BuildAll.Run(s);
        using var a = PretrainCache.Open(Path.Combine(s.PretrainRoot, "notes"), "train");
        using var b = PretrainCache.Open(Path.Combine(s.PretrainRoot, "other"), "train");
        var sampler = new PretrainBatchSampler(new Dictionary<string, (double, PretrainCache)> { ["notes"] = (0.25, a), ["other"] = (0.75, b) }, 32, seed: 3);
        var x = new int[400 * 32];
        var y = new int[400 * 32];
        var names = sampler.NextBatch(400, x, y);
        int other = names.Count(n => n == "other");
        Assert.InRange(other, 250, 350);
        for (int r = 0; r < 400; r++)
            for (int i = 0; i < 31; i++) Assert.Equal(x[r * 32 + i + 1], y[r * 32 + i]);
        var big = Assert.Throws<DlmException>(() => new PretrainBatchSampler(new Dictionary<string, (double, PretrainCache)> { ["notes"] = (1, a) }, 5000, 1));
        Assert.Contains("no train shard holds 5001 tokens", big.Message);
    }

    [Fact]
    public void Malformed_jsonl_records_are_reported_with_line_and_counted()
    {
        using var t = new TestData();
        t.Write("docs.jsonl", "{\"text\": \"a good one\"}\nnot json\n{\"content\": \"second good\"}\n{\"text\": 5}\n[1]\n{\"other\": \"x\"}\n");
        var s = t.Settings(sources: "    docs: {kind: jsonl, path: docs.jsonl, val_tokens: 0}", mixPretrain: "{docs: 1.0}");
        var report = BuildAll.Run(s);
        var r = report.Results.Single(x => x.Source == "docs");
        Assert.Equal(4, r.SkippedRecords);
        Assert.Equal(2, r.Records);
        var ctx = new SourceReadContext();
        _ = DocumentSources.Read(s.Sources["docs"], 1, ctx).ToList();
        var p = Path.Combine(t.Dir, "docs.jsonl");
        Assert.Equal([$"{p}:2", $"{p}:4", $"{p}:5", $"{p}:6"], ctx.Malformed.Select(m => m.Location));
        Assert.Contains("field 'text' is not a string", ctx.Malformed[1].Reason);
    }

    [Fact]
    public async Task Parquet_text_column_streams_by_row_group_and_reports_null_rows()
    {
        using var t = new TestData();
        var path = Path.Combine(t.Dir, "part-0.parquet");
        var field = new DataField<string>("text");
        using (var fs = File.Create(path))
        {
            await using var w = await ParquetWriter.CreateAsync(new ParquetSchema(field), fs);
            foreach (var group in new[] { new[] { "first doc", "second doc" }, new[] { null, "fourth doc" } })
            {
                using var rg = w.CreateRowGroup();
                await rg.WriteAsync(field, group!);
            }
        }
        var src = new SourceSettings("web", SourceKind.Parquet, t.Dir, new SourceOptions(), new SourceLocation("x"));
        var ctx = new SourceReadContext();
        var docs = DocumentSources.Read(src, 1, ctx).ToList();
        Assert.Equal(["first doc", "second doc", "fourth doc"], docs.Select(d => d.Text));
        Assert.Equal($"{path}:row 3", ctx.Malformed.Single().Location);
        Assert.Equal($"{path}:row 4", docs[2].Location);
    }

    [Fact]
    public void Wikitext_articles_gutenberg_bodies_and_brown_tags()
    {
        Assert.True(DocumentSources.IsWikiTitle(" = Valkyria Chronicles III = "));
        Assert.False(DocumentSources.IsWikiTitle(" = = Gameplay = = "));
        using var t = new TestData();
        t.Write("wiki.train.raw", " \n = A = \n \n text of a \n = = Sub = = \n more a \n = B = \n text b \n");
        var wiki = new SourceSettings("w", SourceKind.WikiText, Path.Combine(t.Dir, "wiki.train.raw"), new SourceOptions(), new SourceLocation("x"));
        var articles = DocumentSources.Read(wiki, 1, new SourceReadContext()).Select(d => d.Text).ToList();
        Assert.Equal(["= A = \n \n text of a \n = = Sub = = \n more a", "= B = \n text b"], articles);
        Assert.Equal("Body line.\nSecond.", GutenbergText.Body("The Project Gutenberg eBook\n*** START OF THE PROJECT GUTENBERG EBOOK X ***\nBody line.\nSecond.\n*** END OF THE PROJECT GUTENBERG EBOOK X ***\nlicence"));
        Assert.Null(GutenbergText.Body("no markers here"));
        Assert.Equal("The Fulton County Grand Jury said", BrownText.StripTags("  The/at Fulton/np-tl County/nn-tl Grand/jj-tl Jury/nn-tl said/vbd "));
    }

    [Fact]
    public void Oasst1_threads_follow_the_r1_rules()
    {
        using var t = new TestData();
        string M(string id, string? parent, string role, string text, string lang = "en") =>
            $"{{\"message_id\":\"{id}\",\"parent_id\":{(parent is null ? "null" : $"\"{parent}\"")},\"message_tree_id\":\"t\",\"role\":\"{role}\",\"text\":\"{text}\",\"lang\":\"{lang}\"}}";
        var path = t.Write("oasst.jsonl", string.Join("\n",
            M("r", null, "prompter", " Hi? "), M("a1", "r", "assistant", "Hello."), M("a2", "r", "assistant", "Hey."),
            M("p2", "a1", "prompter", "More?"), M("x", "a2", "prompter", "Mehr?", "de"), M("bad", "a1", "assistant", "twice")) + "\n");
        var ctx = new SourceReadContext();
        var threads = Oasst1Threads.Read(path, RecordSplit.Any, "en", 32, ctx).ToList();
        Assert.Equal(2, threads.Count);
        Assert.Equal(["Hi?", "Hello.", "More?"], threads[0].Messages.Select(m => m.Content));
        Assert.Equal("user", threads[0].Messages[0].Role);
        Assert.Equal(["Hi?", "Hey."], threads[1].Messages.Select(m => m.Content)); // the German reply is not English
        Assert.Contains(ctx.Malformed, m => m.Reason.Contains("speaks twice in a row", StringComparison.Ordinal));
    }

    [Fact]
    public void Primer_formats_and_dolly()
    {
        using var t = new TestData();
        var txt = t.Write("primer.txt", "system: Be kind.\nuser: hi\nassistant: Hello!" + PrimerFile.DialogueSeparator + "user: only a question" + PrimerFile.DialogueSeparator + "USER: q\nAssistant:  a ");
        var ctx = new SourceReadContext();
        var dialogues = PrimerFile.Read(txt, ctx).ToList();
        Assert.Equal(2, dialogues.Count);
        Assert.Equal("a", dialogues[1].Messages[1].Content);
        Assert.Equal(1, ctx.MalformedCount);
        var bad = t.Write("bad.jsonl", "{\"messages\":[{\"role\":\"user\",\"content\":\"x\",\"extra\":1}]}\n");
        var e = Assert.Throws<DlmException>(() => PrimerFile.Read(bad, new SourceReadContext()).ToList());
        Assert.StartsWith($"{bad}:1: message 0 must have exactly the keys role and content", e.Message);
        var dolly = t.Write("dolly.jsonl", "{\"instruction\":\"Sum up\",\"context\":\"Some text\",\"response\":\"Short.\"}\n{\"instruction\":\"Q\",\"context\":\" \",\"response\":\"A\"}\n{\"response\":\"no instruction\"}\n");
        var src = new SourceSettings("d", SourceKind.Dolly, dolly, new SourceOptions(), new SourceLocation("x"));
        var dctx = new SourceReadContext();
        var rows = ConversationSources.Read(src, dctx).ToList();
        Assert.Equal("Sum up\n\ncontext:\nSome text", rows[0].Messages[0].Content);
        Assert.Equal("Q", rows[1].Messages[0].Content);
        Assert.Equal(1, dctx.MalformedCount);
    }

    [Fact]
    public void Committed_primer_has_200_valid_dialogues()
    {
        var path = Path.Combine(Dlm.TestSupport.RepoPaths.Root, "data", "primer.jsonl");
        var all = PrimerFile.Read(path, new SourceReadContext()).ToList();
        Assert.True(all.Count >= 200, $"{all.Count} dialogues");
        Assert.All(all, d => Assert.Equal("assistant", d.Messages[^1].Role));
        Assert.True(all.Select(d => d.Messages.First(m => m.Role == "user").Content).Distinct().Count() >= 195);
    }

    [Fact]
    public void Text_dir_splits_files_by_seeded_permutation()
    {
        using var t = new TestData();
        for (int i = 0; i < 10; i++) t.Write(Path.Combine("roam", $"note{i:D2}.md"), $"# Note {i}\n\nSome text of note {i}.\n");
        t.Write(Path.Combine("roam", "skip.txt"), "not markdown");
        var s = t.Settings(sources: "    roam: {kind: text_dir, path: roam, val_frac: 0.2}", mixPretrain: "{roam: 1.0}");
        var report = BuildAll.Run(s);
        Assert.Equal(10, report.Results[0].Records);
        var dir = Path.Combine(s.PretrainRoot, "roam");
        Assert.Contains("\"split_rule\": \"by file list, val_frac=0.2, seed=42\"", File.ReadAllText(Path.Combine(dir, "meta.json")));
        var docs = DocumentSources.Read(s.Sources["roam"], s.Seed, new SourceReadContext()).ToList();
        Assert.Equal(2, docs.Count(d => d.Split == RecordSplit.Val));
        var tok = CacheTokenizer.Load(s.Tokenizer);
        using var val = PretrainCache.Open(dir, "val");
        Assert.Equal(docs.Where(d => d.Split == RecordSplit.Val).Sum(d => tok.Tokenizer.Encode(d.Text).Length), val.Tokens);
    }
}
