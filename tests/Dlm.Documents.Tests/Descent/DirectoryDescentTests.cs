using Dlm.Core;
using Dlm.Documents.Descent;

namespace Dlm.Documents.Tests.Descent;

/// <summary>The walk over real trees: symlinks, binaries, invalid UTF-8, ignore files, default excludes.</summary>
public class DirectoryDescentTests
{
    private static readonly SourceDirective All = new(".", ["**/*"], []);

    private static DescentReport Run(TempTree t, SourceDirective d, SourcesPolicy policy = SourcesPolicy.Strict, string doc = ".dlm/corpus.dlm")
    {
        var docPath = t.P(doc);
        if (!File.Exists(docPath)) t.Write(doc, "---\n---\n");
        return DirectoryDescent.Run(docPath, [d], policy);
    }

    private static string Reason(DescentReport r, string rel) =>
        r.Kept.Any(k => k.RelativePath == rel) ? "kept" : r.Skipped.Single(s => s.RelativePath == rel).Reason.Name();

    [Fact]
    public void A_real_project_tree_is_walked_in_order_with_every_reason()
    {
        using var t = new TempTree();
        using var outside = new TempTree();
        var secret = outside.Write("secret.txt", "outside\n");
        t.Write("README.md", "# hello\r\nworld\r\n");
        t.Write("a-b.txt", "dash\n");
        t.Write("a/x.txt", "segment order\n");
        t.Write("src/main.cs", "class A {}\n");
        t.Write("src/build/gen.txt", "built\n");
        t.Write("node_modules/pkg/index.js", "module.exports = 1;\n");
        t.Write(".git/config", "[core]\n");
        t.Write(".env", "KEY=1\n");
        t.Write("prod.env", "not a dotenv\n");
        t.Write("config/.env.local", "KEY=2\n");
        t.Write("package-lock.json", "{}\n");
        t.Write("web/yarn.lock", "#\n");
        t.WriteBytes("img.png", [0x89, 0x50, 0x4E, 0x47]);
        t.WriteBytes("sound.wav", [0x52, 0x49, 0x46, 0x46]);
        t.WriteBytes("blob.dat", [0x41, 0x00, 0x42]);
        t.WriteBytes("latin1.txt", [0x63, 0x61, 0x66, 0xE9, 0x0A]);
        t.Write("big.txt", new string('x', 200));
        t.Link("link-in.txt", "README.md");
        t.Link("link-out.txt", secret);
        t.Link("linkdir", t.P("src"));
        t.Link("dangling.txt", t.P("nowhere"));
        t.Write("docs/.dlm/ignore", "*.tmp\n!keep.tmp\nprivate/\n!private/x.md\n");
        t.Write("docs/a.tmp", "t\n");
        t.Write("docs/keep.tmp", "k\n");
        t.Write("docs/private/x.md", "p\n");
        t.Write("docs/guide.md", "g\n");

        var r = Run(t, All with { MaxBytesPerFile = 100 });

        string[] expectedOrder =
        [
            ".dlm/corpus.dlm", ".env", ".git/config", "README.md", "a/x.txt", "a-b.txt", "big.txt", "blob.dat",
            "config/.env.local", "docs/.dlm/ignore", "docs/a.tmp", "docs/guide.md", "docs/keep.tmp", "docs/private/x.md",
            "img.png", "latin1.txt", "link-in.txt", "link-out.txt", "node_modules/pkg/index.js", "package-lock.json",
            "prod.env", "sound.wav", "src/build/gen.txt", "src/main.cs", "web/yarn.lock",
        ];
        Assert.Equal(expectedOrder, r.WalkOrder);
        var reasons = expectedOrder.ToDictionary(p => p, p => Reason(r, p));
        Assert.Equal(new Dictionary<string, string>
        {
            [".dlm/corpus.dlm"] = "excluded",
            [".env"] = "excluded",
            [".git/config"] = "excluded",
            ["README.md"] = "kept",
            ["a/x.txt"] = "kept",
            ["a-b.txt"] = "kept",
            ["big.txt"] = "over_size",
            ["blob.dat"] = "binary",
            ["config/.env.local"] = "excluded",
            ["docs/.dlm/ignore"] = "excluded",
            ["docs/a.tmp"] = "excluded",
            ["docs/guide.md"] = "kept",
            ["docs/keep.tmp"] = "kept",
            ["docs/private/x.md"] = "excluded",
            ["img.png"] = "image",
            ["latin1.txt"] = "encoding",
            ["link-in.txt"] = "kept",
            ["link-out.txt"] = "outside_root",
            ["node_modules/pkg/index.js"] = "excluded",
            ["package-lock.json"] = "excluded",
            ["prod.env"] = "kept",
            ["sound.wav"] = "audio",
            ["src/build/gen.txt"] = "excluded",
            ["src/main.cs"] = "kept",
            ["web/yarn.lock"] = "excluded",
        }, reasons);
        Assert.Equal("# source: README.md\n\n# hello\nworld\n", r.Kept[0].Prose);
        Assert.Equal("# hello\nworld\n", r.Kept.Single(k => k.RelativePath == "link-in.txt").Text);
        Assert.Contains(r.Warnings, w => w.Contains("latin1.txt") && w.Contains("UTF-8"));
        Assert.Equal(expectedOrder.Length, r.Kept.Count + r.Skipped.Count);
        var counts = r.SkippedByReason.ToDictionary(x => x.Reason.Name(), x => x.Count);
        Assert.Equal(11, counts["excluded"]);
        Assert.Equal(1, counts["outside_root"]);
        Assert.Equal(0, counts["max_files"]);

        var json = r.ToJson().ToJsonString();
        Assert.StartsWith("{\"kept\":[\"README.md\",\"a/x.txt\",\"a-b.txt\",\"docs/guide.md\"", json);
        Assert.Contains("{\"path\":\"link-out.txt\",\"reason\":\"outside_root\"}", json);
    }

    [Fact]
    public void Permissive_keeps_a_link_out_of_the_root_with_a_warning()
    {
        using var t = new TempTree();
        using var outside = new TempTree();
        t.Link("out.txt", outside.Write("s.txt", "outside\n"));
        var r = Run(t, All, SourcesPolicy.Permissive);
        Assert.Equal("outside\n", r.Kept.Single().Text);
        Assert.Contains(r.Warnings, w => w.Contains("out.txt") && w.Contains("outside"));
    }

    [Fact]
    public void A_link_to_a_folder_inside_the_root_that_escapes_by_dotdot_is_still_outside()
    {
        using var t = new TempTree();
        using var outside = new TempTree();
        outside.Write("d/f.txt", "x\n");
        t.Link("sub/f.txt", Path.GetRelativePath(t.P("sub"), outside.P("d/f.txt")));
        var r = Run(t, All);
        Assert.Equal("outside_root", Reason(r, "sub/f.txt"));
    }

    [Fact]
    public void Strict_directive_escape_is_an_error_naming_both_paths()
    {
        using var t = new TempTree();
        using var outside = new TempTree();
        var e = Assert.Throws<DlmException>(() => Run(t, new SourceDirective(outside.Root, ["**/*"], [])));
        Assert.Equal($"directive path {RealPath.Resolve(outside.Root)} escapes strict-policy root {RealPath.Resolve(t.Root)}", e.Message);
        var json = DirectoryDescent.ReportJson(t.P(".dlm/corpus.dlm"), [new SourceDirective(outside.Root, ["**/*"], [])], SourcesPolicy.Strict);
        Assert.Equal(e.Message, json!["error"]!.GetValue<string>());
        Assert.Null(DirectoryDescent.ReportJson(t.P(".dlm/corpus.dlm"), null, SourcesPolicy.Strict));
    }

    [Fact]
    public void Missing_directive_path_is_an_error()
    {
        using var t = new TempTree();
        var e = Assert.Throws<DlmException>(() => Run(t, new SourceDirective("nope", ["**/*"], [])));
        Assert.Equal($"directive path {t.P("nope")} does not exist", e.Message);
    }

    [Fact]
    public void Relative_path_anchors_on_the_document_folder_when_not_in_dlm()
    {
        using var t = new TempTree();
        t.Write("notes/a.md", "a\n");
        t.Write("b.md", "b\n");
        var r = Run(t, new SourceDirective("notes", ["**/*"], []), doc: "doc.dlm");
        Assert.Equal(["a.md"], r.Kept.Select(k => k.RelativePath));
    }

    [Fact]
    public void Single_file_directive_reports_its_name()
    {
        using var t = new TempTree();
        t.Write("notes/a.md", "a\n");
        var r = Run(t, new SourceDirective("notes/a.md", ["**/*"], []));
        Assert.Equal("a.md", r.Kept.Single().RelativePath);
    }

    [Fact]
    public void Max_files_counts_the_rest_and_the_walk_goes_on()
    {
        using var t = new TempTree();
        for (int i = 0; i < 5; i++) t.Write($"f{i}.txt", "x\n");
        t.WriteBytes("f2b.bin", [0]);
        var r = Run(t, All with { MaxFiles = 2 });
        Assert.Equal(["f0.txt", "f1.txt"], r.Kept.Select(k => k.RelativePath));
        Assert.Equal("binary", Reason(r, "f2b.bin"));
        Assert.Equal(["f2.txt", "f3.txt", "f4.txt"], r.Skipped.Where(s => s.Reason == SkipReason.MaxFiles).Select(s => s.RelativePath));
    }

    [Fact]
    public void Directive_include_and_exclude_globs()
    {
        using var t = new TempTree();
        t.Write("src/a.cs", "x\n");
        t.Write("src/a.md", "x\n");
        t.Write("src/gen/b.cs", "x\n");
        t.Write("lib/c.cs", "x\n");
        var r = Run(t, new SourceDirective(".", ["{src,lib}/**/*.cs"], ["src/gen/**"]));
        Assert.Equal(["lib/c.cs", "src/a.cs"], r.Kept.Select(k => k.RelativePath));
        Assert.Equal("excluded", Reason(r, "src/gen/b.cs"));
        Assert.Equal("excluded", Reason(r, "src/a.md"));
    }

    [Fact]
    public void Nested_training_yaml_include_is_relative_to_its_anchor_with_tags_and_weights()
    {
        using var t = new TempTree();
        t.Write("docs/.dlm/training.yaml",
            "dlm_training_version: 1\ninclude:\n  - \"*.md\"\nexclude:\n  - draft.md\nmetadata:\n  lang: en\n  kind: docs\nweights:\n  \"guide.md\": 2.5\n");
        t.Write(".dlm/training.yaml", "dlm_training_version: 1\nmetadata:\n  kind: project\n  team: core\n");
        t.Write("docs/guide.md", "g\n");
        t.Write("docs/draft.md", "d\n");
        t.Write("docs/notes.txt", "n\n");
        t.Write("top.txt", "t\n");
        var r = Run(t, All);
        Assert.Equal(["docs/guide.md", "top.txt"], r.Kept.Select(k => k.RelativePath));
        Assert.Equal("excluded", Reason(r, "docs/draft.md"));
        Assert.Equal("excluded", Reason(r, "docs/notes.txt"));
        var guide = r.Kept[0];
        Assert.Equal(2.5, guide.Weight);
        Assert.Equal(new Dictionary<string, string> { ["kind"] = "docs", ["team"] = "core", ["lang"] = "en" }, guide.Metadata);
        Assert.Equal(1.0, r.Kept[1].Weight);
        Assert.Equal(new Dictionary<string, string> { ["kind"] = "project", ["team"] = "core" }, r.Kept[1].Metadata);
    }

    [Fact]
    public void Exclude_defaults_false_lets_default_excluded_files_through_below_its_anchor()
    {
        using var t = new TempTree();
        t.Write("vendor/.dlm/training.yaml", "dlm_training_version: 1\nexclude_defaults: false\n");
        t.Write("vendor/build/x.txt", "x\n");
        t.Write("build/y.txt", "y\n");
        var r = Run(t, All);
        Assert.Equal("kept", Reason(r, "vendor/build/x.txt"));
        Assert.Equal("excluded", Reason(r, "build/y.txt"));
    }

    [Fact]
    public void Training_yaml_with_an_unknown_key_warns_and_is_skipped()
    {
        using var t = new TempTree();
        var yaml = t.Write("docs/.dlm/training.yaml", "dlm_training_version: 1\ninclude:\n  - \"*.md\"\nincldue_defaults: true\n");
        t.Write("docs/a.txt", "a\n");
        var r = Run(t, All);
        Assert.Equal("kept", Reason(r, "docs/a.txt")); // the file's include did not apply
        var w = Assert.Single(r.Warnings);
        Assert.StartsWith($"{yaml}:4:1: unknown key 'incldue_defaults'", w);
        Assert.EndsWith("(training.yaml skipped)", w);
    }

    [Fact]
    public void Training_yaml_version_must_be_1()
    {
        var e = Assert.Throws<DlmException>(() => TrainingYaml.Parse("dlm_training_version: 2\n", "t.yaml"));
        Assert.Contains("dlm_training_version 2 is not supported", e.Message);
        Assert.Throws<DlmException>(() => TrainingYaml.Parse("include: [a]\n", "t.yaml"));
        Assert.Throws<DlmException>(() => TrainingYaml.Parse("dlm_training_version: 1\nweights:\n  a: -1\n", "t.yaml"));
    }

    [Fact]
    public void Ignore_file_can_reinclude_a_default_exclude_but_not_inside_an_ignored_folder()
    {
        using var t = new TempTree();
        t.Write(".dlm/ignore", "!.env.example\nlogs/\n!logs/keep.txt\n");
        t.Write(".env.example", "A=\n");
        t.Write("logs/keep.txt", "k\n");
        var r = Run(t, All);
        Assert.Equal("kept", Reason(r, ".env.example"));
        Assert.Equal("excluded", Reason(r, "logs/keep.txt"));
    }

    [Fact]
    public void Symlinked_folders_are_not_entered_and_dangling_links_not_listed()
    {
        using var t = new TempTree();
        t.Write("real/a.txt", "a\n");
        t.Link("alias", t.P("real"));
        t.Link("gone.txt", t.P("missing.txt"));
        t.Link("loop1", t.P("loop2"));
        t.Link("loop2", t.P("loop1"));
        var r = Run(t, All);
        Assert.Equal([".dlm/corpus.dlm", "real/a.txt"], r.WalkOrder);
    }

    [Fact]
    public void A_link_is_matched_by_its_own_path()
    {
        using var t = new TempTree();
        t.Write("notes.md", "n\n");
        t.Link("notes.key", "notes.md");
        t.Link("alias.md", "secrets.txt");
        t.Write("secrets.txt", "s\n");
        var r = Run(t, All);
        Assert.Equal("excluded", Reason(r, "notes.key"));
        Assert.Equal("kept", Reason(r, "alias.md"));
        Assert.Equal("excluded", Reason(r, "secrets.txt"));
    }

    [Fact]
    public void The_document_itself_is_excluded_wherever_it_lives()
    {
        using var t = new TempTree();
        t.Write("doc.dlm", "---\n---\n");
        t.Write("a.md", "a\n");
        var r = Run(t, All, doc: "doc.dlm");
        Assert.Equal("excluded", Reason(r, "doc.dlm"));
        Assert.Equal("kept", Reason(r, "a.md"));
    }
}
