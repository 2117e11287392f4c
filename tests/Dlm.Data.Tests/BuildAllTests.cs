using Dlm.Core;
using Dlm.Data.Build;
using Dlm.Data.Caches;
using Dlm.Data.Readers;
using Dlm.Data.Settings;

namespace Dlm.Data.Tests;

public class BuildAllTests
{
    private sealed class NoOpBuilder : ISourceCacheBuilder
    {
        public SourceBuildResult Build(SourceBuildRequest r) =>
            new() { Source = r.Source.Name, Side = "sft", Status = SourceBuildStatus.Built, Path = r.OutputDir };
    }

    private sealed class TreeBuilder : ISourceCacheBuilder
    {
        public SourceBuildResult Build(SourceBuildRequest r)
        {
            Directory.CreateDirectory(Path.Combine(r.OutputDir, "train"));
            Directory.CreateDirectory(Path.Combine(r.OutputDir, "val"));
            File.WriteAllText(Path.Combine(r.OutputDir, "meta.json"), "{}");
            return new() { Source = r.Source.Name, Side = "sft", Status = SourceBuildStatus.Built, Path = r.OutputDir };
        }
    }

    [Fact]
    public void Primer_builder_replaced_by_a_no_op_fails_validation_listing_its_paths()
    {
        using var t = new TestData();
        var s = t.Settings();
        var builders = CacheBuilders.Default with { Primer = new NoOpBuilder() };
        var e = Assert.Throws<DlmException>(() => BuildAll.Run(s, builders));
        var lines = e.Message.Split('\n');
        Assert.Contains("cache validation failed; missing:", lines);
        Assert.Contains("  " + Path.Combine(s.SftRoot, "primer", "meta.json"), lines);
        Assert.Contains("  " + Path.Combine(s.SftRoot, "primer", "train"), lines);
        Assert.Contains("  " + Path.Combine(s.SftRoot, "primer", "val"), lines);
        Assert.True(File.Exists(Path.Combine(s.PretrainRoot, "notes", "meta.json")));
    }

    [Fact]
    public void Primer_builder_replaced_by_one_that_writes_the_tree_passes()
    {
        using var t = new TestData();
        var s = t.Settings();
        BuildAll.Run(s, CacheBuilders.Default with { Primer = new TreeBuilder() });
        Assert.True(File.Exists(Path.Combine(s.SftRoot, "primer", "meta.json")));
    }

    [Fact]
    public void Missing_primer_fails_with_its_message_and_the_missing_paths()
    {
        using var t = new TestData();
        var s = t.Settings();
        File.Delete(Path.Combine(t.Dir, "primer.jsonl"));
        var e = Assert.Throws<DlmException>(() => BuildAll.Run(s));
        Assert.Contains($"missing primer jsonl: {Path.Combine(t.Dir, "primer.jsonl")}", e.Message);
        Assert.Contains(Path.Combine(s.SftRoot, "primer", "meta.json"), e.Message);
    }

    [Fact]
    public void Plan_holds_only_mix_keys_and_the_primer()
    {
        using var t = new TestData();
        var s = t.Settings(sources: "    unused: {kind: lines, path: notes.txt}\n    chats: {kind: conversations, path: primer.jsonl}", mixSft: "{chats: 1.0}");
        var plan = CacheBuildPlan.For(s);
        Assert.Equal(["notes"], plan.PretrainSources.Select(x => x.Name));
        Assert.Equal(["primer", "chats"], plan.SftSources.Select(x => x.Name));
    }

    [Fact]
    public void Second_run_rewrites_nothing_and_a_changed_option_rebuilds()
    {
        using var t = new TestData();
        var s = t.Settings();
        BuildAll.Run(s);
        var files = Directory.GetFiles(t.Dir, "*", SearchOption.AllDirectories).Where(f => f.Contains("cache")).ToList();
        var times = files.ToDictionary(f => f, File.GetLastWriteTimeUtc);
        var lines = new List<string>();
        var report = BuildAll.Run(s, progress: new Lines(lines));
        Assert.All(report.Results, r => Assert.Equal(SourceBuildStatus.Skipped, r.Status));
        Assert.Contains(lines, l => l.EndsWith("already exists, skipping", StringComparison.Ordinal));
        foreach (var f in files) Assert.Equal(times[f], File.GetLastWriteTimeUtc(f));

        var changed = t.Settings(overrides: ["data.sources.notes.val_tokens=100"]);
        var again = BuildAll.Run(changed);
        Assert.Equal(SourceBuildStatus.Built, again.Results.Single(r => r.Source == "notes").Status);
        Assert.Equal(SourceBuildStatus.Skipped, again.Results.Single(r => r.Source == "primer").Status);
        Assert.Equal(100, PretrainCache.Open(Path.Combine(s.PretrainRoot, "notes"), "val").Tokens);
    }

    [Fact]
    public void Another_tokenizer_hash_rebuilds_every_cache()
    {
        using var t = new TestData();
        var s = t.Settings();
        BuildAll.Run(s);
        var copy = t.Write("tok/tokenizer.json", File.ReadAllText(TestData.Tokenizer) + "\n");
        var other = s with { Tokenizer = s.Tokenizer with { Path = copy } };
        var lines = new List<string>();
        var report = BuildAll.Run(other, progress: new Lines(lines));
        Assert.All(report.Results, r => Assert.Equal(SourceBuildStatus.Built, r.Status));
        Assert.Contains("pretrain/notes: rebuilding (built with another tokenizer)", lines);
        Assert.Contains(CacheTokenizer.Load(other.Tokenizer).Sha256, File.ReadAllText(Path.Combine(s.PretrainRoot, "notes", "meta.json")));
    }

    [Fact]
    public void Builds_are_byte_identical_whatever_the_thread_count()
    {
        using var a = new TestData();
        using var b = new TestData();
        var sa = a.Settings(extra: "  seed: 5", sources: "    shuffled: {kind: lines, path: notes.txt, val_tokens: 300, shuffle_buffer: 17}", mixPretrain: "{notes: 0.5, shuffled: 0.5}");
        var sb = b.Settings(extra: "  seed: 5", sources: "    shuffled: {kind: lines, path: notes.txt, val_tokens: 300, shuffle_buffer: 17}", mixPretrain: "{notes: 0.5, shuffled: 0.5}");
        BuildAll.Run(sa, threads: 1);
        BuildAll.Run(sb, threads: 4);
        var x = TestData.Snapshot(Path.Combine(a.Dir, "cache"));
        var y = TestData.Snapshot(Path.Combine(b.Dir, "cache"));
        Assert.Equal(x.Keys, y.Keys);
        foreach (var k in x.Keys)
        {
            var bx = x[k];
            var by = y[k];
            if (k.EndsWith("meta.json", StringComparison.Ordinal)) { bx = Strip(bx, a.Dir); by = Strip(by, b.Dir); }
            Assert.True(bx.AsSpan().SequenceEqual(by), $"{k} differs");
        }
        Assert.True(x.Count > 8);
    }

    private static byte[] Strip(byte[] meta, string dir) => System.Text.Encoding.UTF8.GetBytes(System.Text.Encoding.UTF8.GetString(meta).Replace(dir, "DIR", StringComparison.Ordinal));

    [Fact]
    public void A_build_stopped_midway_leaves_no_cache_that_validates_and_the_next_run_completes_it()
    {
        using var t = new TestData();
        t.Write("notes.txt", string.Join("\n", Enumerable.Range(0, 40000).Select(i => $"document {i} with a few words")) + "\n");
        var s = t.Settings();
        using var cts = new CancellationTokenSource();
        var stopper = new Lines([], () => cts.Cancel());
        Assert.ThrowsAny<OperationCanceledException>(() => BuildAll.Run(s, progress: stopper, cancellation: cts.Token));
        var dir = Path.Combine(s.PretrainRoot, "notes");
        Assert.False(File.Exists(Path.Combine(dir, "meta.json")));
        Assert.False(CacheMeta.IsCurrent(dir, "x", new Dictionary<string, object?>(), out _));
        var report = BuildAll.Run(s);
        Assert.Equal(SourceBuildStatus.Built, report.Results[0].Status);
        Assert.False(Directory.Exists(Path.Combine(s.PretrainRoot, ".notes.building")));
    }

    [Fact]
    public void Special_token_in_a_document_fails_naming_source_record_and_token()
    {
        using var t = new TestData();
        t.Write("notes.txt", "fine line\nbad <|ngpt_eot_84a5023f67d74cf29cc4001becde983c|> line\n");
        var s = t.Settings();
        var e = Assert.Throws<DlmException>(() => BuildAll.Run(s));
        Assert.Contains($"source notes: {Path.Combine(t.Dir, "notes.txt")}:2: the document contains the special token '<|ngpt_eot_84a5023f67d74cf29cc4001becde983c|>'", e.Message);
    }

    [Fact]
    public void Special_token_in_an_sft_message_fails_too()
    {
        using var t = new TestData();
        t.Write("primer.jsonl", "{\"messages\":[{\"role\":\"user\",\"content\":\"say <|ngpt_usr_84a5023f67d74cf29cc4001becde983c|>\"},{\"role\":\"assistant\",\"content\":\"no\"}]}\n");
        var e = Assert.Throws<DlmException>(() => BuildAll.Run(t.Settings()));
        Assert.Contains("primer.jsonl:1: a user message contains the special token '<|ngpt_usr_84a5023f67d74cf29cc4001becde983c|>'", e.Message);
    }

    internal sealed class Lines(List<string> lines, Action? onProgress = null) : IBuildProgress
    {
        public void Plan(CacheBuildPlan plan) { }
        public void Info(string line) => lines.Add(line);
        public void SourceStarted(string source, Sources.SourceReadContext read) { }
        public void SourceProgress(string source, long records, long tokens) => onProgress?.Invoke();
        public void SourceFinished(SourceBuildResult result) { }
    }
}
