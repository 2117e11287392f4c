using System.Diagnostics;
using Dlm.Documents.Descent;

namespace Dlm.Documents.Tests.Descent;

/// <summary>git's .gitignore rules, with the examples of git's own documentation (gitignore(5)).</summary>
public class IgnoreRulesTests
{
    private static IgnoreVerdict Full(string rules, string path, bool isDir = false) =>
        IgnoreLayers.Empty.Push("", IgnoreRules.Parse(rules)).EvaluateWithParents(path, isDir);

    [Fact]
    public void Comments_blank_lines_and_escapes()
    {
        var r = IgnoreRules.Parse("# a comment\n\n\\#file\n\\!important\ntrail   \nkeep\\ \n");
        Assert.Equal(4, r.Count);
        Assert.Equal(IgnoreVerdict.Ignored, r.Evaluate("#file", false));
        Assert.Equal(IgnoreVerdict.None, r.Evaluate("# a comment", false));
        Assert.Equal(IgnoreVerdict.Ignored, r.Evaluate("!important", false));
        Assert.Equal(IgnoreVerdict.Ignored, r.Evaluate("trail", false));
        Assert.Equal(IgnoreVerdict.Ignored, r.Evaluate("keep ", false));
    }

    [Fact]
    public void Doc_frotz_is_anchored_but_frotz_matches_at_any_depth()
    {
        // "The pattern doc/frotz/ matches doc/frotz directory, but not a/doc/frotz directory;
        //  however frotz/ matches frotz and a/frotz that is a directory."
        Assert.Equal(IgnoreVerdict.Ignored, Full("doc/frotz/", "doc/frotz", isDir: true));
        Assert.Equal(IgnoreVerdict.None, Full("doc/frotz/", "a/doc/frotz", isDir: true));
        Assert.Equal(IgnoreVerdict.Ignored, Full("frotz/", "frotz", isDir: true));
        Assert.Equal(IgnoreVerdict.Ignored, Full("frotz/", "a/frotz", isDir: true));
        Assert.Equal(IgnoreVerdict.None, Full("frotz/", "a/frotz", isDir: false)); // a file named frotz
        Assert.Equal(IgnoreVerdict.Ignored, Full("frotz/", "a/frotz/x.txt")); // inside the folder
    }

    [Fact]
    public void Name_patterns_match_at_any_level()
    {
        // "hello.* matches any file or directory whose name begins with hello."
        Assert.Equal(IgnoreVerdict.Ignored, Full("hello.*", "hello.txt"));
        Assert.Equal(IgnoreVerdict.Ignored, Full("hello.*", "a/b/hello.c"));
        // "foo/ will match a directory foo and paths underneath it, but will not match a regular file or a symbolic link foo"
        Assert.Equal(IgnoreVerdict.None, Full("foo/", "foo"));
        // "/bar matches bar but not a/bar" (a leading slash anchors)
        Assert.Equal(IgnoreVerdict.Ignored, Full("/bar", "bar"));
        Assert.Equal(IgnoreVerdict.None, Full("/bar", "a/bar"));
    }

    [Fact]
    public void Star_does_not_cross_slashes()
    {
        // "foo/*" matches "foo/test.json" and the folder "foo/bar", but not "foo/bar/hello.c" by itself;
        // that file is still ignored because its folder is.
        var r = IgnoreRules.Parse("foo/*");
        Assert.Equal(IgnoreVerdict.Ignored, r.Evaluate("foo/test.json", false));
        Assert.Equal(IgnoreVerdict.Ignored, r.Evaluate("foo/bar", true));
        Assert.Equal(IgnoreVerdict.None, r.Evaluate("foo/bar/hello.c", false));
        Assert.Equal(IgnoreVerdict.Ignored, Full("foo/*", "foo/bar/hello.c"));
    }

    [Fact]
    public void Double_star_forms()
    {
        Assert.Equal(IgnoreVerdict.Ignored, Full("**/foo", "foo"));
        Assert.Equal(IgnoreVerdict.Ignored, Full("**/foo", "x/y/foo"));
        Assert.Equal(IgnoreVerdict.Ignored, Full("**/foo/bar", "x/foo/bar"));
        Assert.Equal(IgnoreVerdict.None, Full("**/foo/bar", "x/foo/baz/bar"));
        Assert.Equal(IgnoreVerdict.Ignored, Full("abc/**", "abc/x/y"));
        Assert.Equal(IgnoreVerdict.None, Full("abc/**", "abc", isDir: false));
        Assert.Equal(IgnoreVerdict.Ignored, Full("a/**/b", "a/b"));
        Assert.Equal(IgnoreVerdict.Ignored, Full("a/**/b", "a/x/y/b"));
    }

    [Fact]
    public void Last_matching_rule_wins_and_negation_reincludes()
    {
        Assert.Equal(IgnoreVerdict.Included, Full("*.log\n!keep.log", "keep.log"));
        Assert.Equal(IgnoreVerdict.Ignored, Full("!keep.log\n*.log", "keep.log"));
        Assert.Equal(IgnoreVerdict.Ignored, Full("*.log\n!keep.log", "other.log"));
    }

    [Fact]
    public void Nothing_in_an_ignored_folder_can_be_reincluded()
    {
        // "It is not possible to re-include a file if a parent directory of that file is excluded."
        Assert.Equal(IgnoreVerdict.Ignored, Full("build/\n!build/keep.txt", "build/keep.txt"));
        Assert.Equal(IgnoreVerdict.Ignored, Full("build/\n!build/\n/build/sub/\n!build/sub/x", "build/sub/x"));
    }

    [Fact]
    public void Everything_except_foo_bar()
    {
        // gitignore(5): "exclude everything except directory foo/bar"
        const string rules = "/*\n!/foo\n/foo/*\n!/foo/bar\n";
        Assert.NotEqual(IgnoreVerdict.Ignored, Full(rules, "foo/bar/x.txt"));
        Assert.Equal(IgnoreVerdict.Ignored, Full(rules, "foo/baz/x.txt"));
        Assert.Equal(IgnoreVerdict.Ignored, Full(rules, "foo/top.txt"));
        Assert.Equal(IgnoreVerdict.Ignored, Full(rules, "readme.md"));
    }

    [Fact]
    public void Deeper_files_take_precedence()
    {
        var layers = IgnoreLayers.Empty
            .Push("", IgnoreRules.Parse("*.tmp"))
            .Push("docs", IgnoreRules.Parse("!keep.tmp\n/local.md"));
        Assert.Equal(IgnoreVerdict.Included, layers.EvaluateWithParents("docs/keep.tmp", false));
        Assert.Equal(IgnoreVerdict.Ignored, layers.EvaluateWithParents("keep.tmp", false));
        Assert.Equal(IgnoreVerdict.Ignored, layers.EvaluateWithParents("docs/local.md", false));
        Assert.Equal(IgnoreVerdict.None, layers.EvaluateWithParents("docs/x/local.md", false));
        Assert.Equal(IgnoreVerdict.None, layers.EvaluateWithParents("local.md", false));
    }

    /// <summary>
    /// The same rules, given to git itself as .gitignore files and to the descent as .dlm/ignore
    /// files, leave the same files.
    /// </summary>
    [Fact]
    public void Agrees_with_git_on_a_real_tree()
    {
        using var t = new TempTree();
        string[] files =
        [
            "a.log", "keep.log", "b.txt", "build/out.txt", "build/keep.txt", "src/main.c", "src/gen/x.c",
            "src/gen/keep.c", "docs/a.md", "docs/private/p.md", "docs/private/ok.md", "docs/sub/private/q.md",
            "foo/bar/x", "foo/baz/y", "foo/z", "deep/a/b/c/target.bin", "deep/target.bin", "tmp#/x", "[x].txt",
            "sp ace.txt", "doc/frotz/f", "a/doc/frotz/f",
        ];
        foreach (var f in files) t.Write(f, "x\n");
        const string root = "*.log\n!keep.log\nbuild/\n!build/keep.txt\n/src/gen/*\n!/src/gen/keep.c\n**/target.bin\n!deep/target.bin\n\\[x].txt\ndoc/frotz/\nsp\\ ace.txt\n";
        const string docs = "private/\n!private/ok.md\n";
        const string foo = "*\n!bar/\n!bar/**\n";
        t.Write(".gitignore", root);
        t.Write("docs/.gitignore", docs);
        t.Write("foo/.gitignore", foo);
        t.Write(".dlm/ignore", root);
        t.Write("docs/.dlm/ignore", docs);
        t.Write("foo/.dlm/ignore", foo);
        t.Write(".dlm/training.yaml", "dlm_training_version: 1\nexclude_defaults: false\n");
        var doc = t.Write(".dlm/corpus.dlm", "---\n---\n");

        if (!RunGit(t.Root, "init", "-q", "."))
            Assert.Fail("git is needed for this test");
        var gitOut = new List<string>();
        Assert.True(RunGit(t.Root, gitOut, "ls-files", "--others", "--exclude-standard"));
        var gitKept = gitOut.Where(p => !p.Contains(".dlm/") && !p.EndsWith(".gitignore")).Order(StringComparer.Ordinal).ToList();

        var report = DirectoryDescent.Run(doc, [new SourceDirective(".", ["**/*"], [])], SourcesPolicy.Strict);
        var ours = report.Kept.Select(k => k.RelativePath).Where(p => !p.EndsWith(".gitignore") && !p.StartsWith(".git/")).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(gitKept, ours);
        Assert.Contains("keep.log", ours);
        Assert.DoesNotContain("build/keep.txt", ours);
    }

    /// <summary>
    /// Random trees and random rule sets (seeded, so the same every run): for each, git and the
    /// descent leave the same files.
    /// </summary>
    [Fact]
    public void Agrees_with_git_on_random_trees_and_rules()
    {
        string[] names = ["a", "b", "c.txt", "d.md", "e.log", "build", "x.tmp", "sub"];
        string[] patterns =
        [
            "*.txt", "*.md", "*.log", "a", "a/", "/a", "b/", "/b/c.txt", "**/d.md", "a/**", "a/**/e.log", "sub/*", "*/c.txt",
            "b*", "?.md", "[a-c]", "[!a]*.txt", "build/", "/build", "**/sub/", "x.*", "sub/**/*.md", "*", "c.txt",
        ];
        var rng = new Random(20261201);
        int ignoredTotal = 0, keptTotal = 0;
        for (int round = 0; round < Rounds; round++)
        {
            using var t = new TempTree();
            var files = new HashSet<string>(StringComparer.Ordinal);
            for (int i = 0; i < 40; i++)
            {
                int depth = rng.Next(1, 4);
                var parts = Enumerable.Range(0, depth).Select(_ => names[rng.Next(names.Length)]).ToArray();
                var path = string.Join('/', parts);
                // A path cannot be both a file and a folder.
                if (files.Any(f => f.StartsWith(path + "/", StringComparison.Ordinal) || path.StartsWith(f + "/", StringComparison.Ordinal))) continue;
                files.Add(path);
            }
            foreach (var f in files) t.Write(f, "x\n");
            var folders = files.SelectMany(f => Enumerable.Range(1, f.Count(c => c == '/')).Select(k => string.Join('/', f.Split('/').Take(k))))
                .Distinct().Order(StringComparer.Ordinal).ToList();
            var ignoreAt = new List<string> { "" };
            ignoreAt.AddRange(folders.Where(_ => rng.Next(3) == 0));
            foreach (var anchor in ignoreAt)
            {
                var lines = Enumerable.Range(0, rng.Next(1, 6))
                    .Select(_ => (rng.Next(3) == 0 ? "!" : "") + patterns[rng.Next(patterns.Length)]);
                var text = string.Join('\n', lines) + "\n";
                t.Write(anchor.Length == 0 ? ".gitignore" : anchor + "/.gitignore", text);
                t.Write(anchor.Length == 0 ? ".dlm/ignore" : anchor + "/.dlm/ignore", text);
            }
            t.Write(".dlm/training.yaml", "dlm_training_version: 1\nexclude_defaults: false\n");
            var doc = t.Write(".dlm/corpus.dlm", "---\n---\n");
            Assert.True(RunGit(t.Root, "init", "-q", "."));
            var gitOut = new List<string>();
            Assert.True(RunGit(t.Root, gitOut, "ls-files", "--others", "--exclude-standard"));
            var gitKept = gitOut.Where(p => !p.Contains(".dlm/") && !p.EndsWith(".gitignore")).Order(StringComparer.Ordinal).ToList();
            var report = DirectoryDescent.Run(doc, [new SourceDirective(".", ["**/*"], [])], SourcesPolicy.Strict);
            var ours = report.Kept.Select(k => k.RelativePath)
                .Where(p => !p.EndsWith(".gitignore") && !p.StartsWith(".git/")).Order(StringComparer.Ordinal).ToList();
            var rules = string.Join(" | ", ignoreAt.Select(a => $"{(a.Length == 0 ? "/" : a)}: {File.ReadAllText(t.P(a.Length == 0 ? ".gitignore" : a + "/.gitignore")).Replace("\n", " ")}"));
            Assert.True(gitKept.SequenceEqual(ours),
                $"round {round}, rules {rules}\n git only: {string.Join(", ", gitKept.Except(ours))}\n ours only: {string.Join(", ", ours.Except(gitKept))}");
            keptTotal += ours.Count;
            ignoredTotal += files.Count - ours.Count;
        }
        // The rounds exercise both outcomes, not just one.
        Assert.True(keptTotal > 50 && ignoredTotal > 50, $"kept {keptTotal}, ignored {ignoredTotal}");
    }

    private static int Rounds => int.TryParse(Environment.GetEnvironmentVariable("DLM_IGNORE_ROUNDS"), out var n) ? n : 12;

    private static bool RunGit(string dir, params string[] args) => RunGit(dir, null, args);

    private static bool RunGit(string dir, List<string>? lines, params string[] args)
    {
        var psi = new ProcessStartInfo("git") { WorkingDirectory = dir, RedirectStandardOutput = true, RedirectStandardError = true };
        psi.Environment["GIT_CONFIG_NOSYSTEM"] = "1";
        psi.Environment["HOME"] = dir;
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add("core.quotePath=false");
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEnd();
        p.StandardError.ReadToEnd();
        p.WaitForExit();
        lines?.AddRange(stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        return p.ExitCode == 0;
    }
}
