using System.Text.RegularExpressions;
using Dlm.Documents.Descent;
using Dlm.Documents.Format;

namespace Dlm.Cli.Tests;

/// <summary>
/// `dlm train &lt;target&gt;` resolution and auto-scaffold, point by point as
/// shared/contracts/documents-cli.md states it, through the real program.
/// </summary>
public sealed class TrainScaffoldTests : IDisposable
{
    private readonly string _work = Path.Combine(Path.GetTempPath(), "dlm-train-" + Guid.NewGuid().ToString("N")[..10]);
    private readonly string _home;

    public TrainScaffoldTests()
    {
        Directory.CreateDirectory(Path.Combine(_work, "proj", "src"));
        File.WriteAllText(Path.Combine(_work, "proj", "README.md"), "# Project\n");
        File.WriteAllText(Path.Combine(_work, "proj", "src", "main.cs"), "class A {}\n");
        _home = Path.Combine(_work, "home");
    }

    public void Dispose()
    {
        try { Directory.Delete(_work, true); }
        catch (IOException) { }
    }

    private CliRunner.Result Train(params string[] args) =>
        CliRunner.RunIn(_work, new Dictionary<string, string> { ["DLM_HOME"] = _home }, null, ["train", .. args]);

    private string P(string rel) => Path.Combine(_work, rel);

    private string Proj => RealPath.Resolve(P("proj"))!;

    private static string Expected(string id, string baseModel, string policy, string path, string[] include, string[]? exclude = null)
    {
        var s = $"---\ndlm_id: {id}\ndlm_version: 15\nbase_model: {baseModel}\ntraining:\n  sources_policy: {policy}\n  sources:\n    - path: \"{path}\"\n      include:\n";
        foreach (var g in include) s += $"        - \"{g}\"\n";
        if (exclude is not null)
        {
            s += "      exclude:\n";
            foreach (var g in exclude) s += $"        - \"{g}\"\n";
        }
        return s + "---\n\n# Auto-scaffolded by `dlm train`. Edit the frontmatter above to refine training.\n";
    }

    private static string IdOf(CliRunner.Result r)
    {
        var m = Regex.Match(r.Stderr, @"\(dlm_id=([0-9A-HJKMNP-TV-Z]{26})\)");
        Assert.True(m.Success, r.Stderr);
        return m.Groups[1].Value;
    }

    private string[] FilesUnder(string rel) =>
        [.. Directory.GetFileSystemEntries(P(rel), "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(P(rel), f)).Order(StringComparer.Ordinal)];

    [Fact]
    public void First_scaffold_writes_the_exact_file_atomically_and_says_so()
    {
        var r = Train("proj", "--base", "smollm2-135m", "--dry-run");
        Assert.Equal(0, r.ExitCode);
        var id = IdOf(r);
        Assert.Equal([$"scaffolded: proj/.dlm/corpus.dlm (dlm_id={id})"], r.StderrLines);
        var bytes = File.ReadAllBytes(P("proj/.dlm/corpus.dlm"));
        Assert.Equal(Expected(id, "smollm2-135m", "strict", Proj, ["**/*"]), System.Text.Encoding.UTF8.GetString(bytes));
        Assert.NotEqual(0xEF, bytes[0]); // no BOM
        Assert.Equal([".dlm", ".dlm/corpus.dlm", "README.md", "src", "src/main.cs"], FilesUnder("proj")); // no temp file, nothing else
        Assert.Contains("document: proj/.dlm/corpus.dlm", r.Stdout);
        Assert.Contains($"dlm_id: {id}", r.Stdout);
        Assert.Contains("  kept README.md", r.Stdout);
        Assert.Contains("  kept src/main.cs", r.Stdout);
        Assert.Contains("skipped by reason: excluded 1", r.Stdout); // the document itself
        Assert.False(Directory.Exists(_home)); // nothing trained, the store untouched
    }

    [Fact]
    public void Include_mapping_policy_and_exclude_only_with_exclude()
    {
        var r = Train("proj", "--base", "hf:org/model", "-R", "--dry-run");
        Assert.Equal(0, r.ExitCode);
        Assert.Equal(Expected(IdOf(r), "hf:org/model", "strict", Proj, ["*"]), File.ReadAllText(P("proj/.dlm/corpus.dlm")));
        Assert.DoesNotContain("kept src/main.cs", r.Stdout);

        r = Train("proj", "--name", "two", "--base", "b", "--include", "src/**", "--include", "*.md", "--exclude", "**/*.tmp",
            "--policy", "permissive", "-r", "--dry-run");
        Assert.Equal(0, r.ExitCode);
        Assert.Equal(Expected(IdOf(r), "b", "permissive", Proj, ["src/**", "*.md"], ["**/*.tmp"]), File.ReadAllText(P("proj/.dlm/two.dlm")));

        r = Train("proj", "--name", "three", "--base", "b", "--no-recursive", "--include", "x/*", "--dry-run");
        Assert.Equal(0, r.ExitCode);
        Assert.Equal(Expected(IdOf(r), "b", "strict", Proj, ["x/*"]), File.ReadAllText(P("proj/.dlm/three.dlm")));
    }

    [Fact]
    public void Missing_target_and_file_target_are_refused()
    {
        var r = Train("nope", "--base", "b");
        Assert.Equal(1, r.ExitCode);
        Assert.Equal(["scaffold: target does not exist: nope"], r.StderrLines);
        r = Train("proj/README.md", "--base", "b");
        Assert.Equal(1, r.ExitCode);
        Assert.Equal(["scaffold: scaffold expects a directory, got file: proj/README.md"], r.StderrLines);
    }

    [Fact]
    public void A_dlm_file_target_is_that_document()
    {
        var id = IdOf(Train("proj", "--base", "b", "--dry-run"));
        var before = File.ReadAllBytes(P("proj/.dlm/corpus.dlm"));
        var r = Train("proj/.dlm/corpus.dlm", "--dry-run");
        Assert.Equal(0, r.ExitCode);
        Assert.Equal("", r.Stderr);
        Assert.Contains($"dlm_id: {id}", r.Stdout);
        Assert.Equal(before, File.ReadAllBytes(P("proj/.dlm/corpus.dlm")));
    }

    [Fact]
    public void Bad_policy_is_a_usage_error()
    {
        var r = Train("proj", "--base", "b", "--policy", "lax");
        Assert.Equal(2, r.ExitCode);
        Assert.False(Directory.Exists(P("proj/.dlm")));
    }

    [Theory]
    [InlineData("../x")]
    [InlineData("a\\b")]
    [InlineData(".")]
    [InlineData("..")]
    [InlineData("sub/x")]
    public void Name_must_be_a_plain_stem_and_nothing_is_written(string name)
    {
        var r = Train("proj", "--base", "b", "--name", name);
        Assert.Equal(2, r.ExitCode);
        Assert.Single(r.StderrLines);
        Assert.False(Directory.Exists(P("proj/.dlm")));
        Assert.False(File.Exists(P("x.dlm")));
        Assert.Equal(["README.md", "src", "src/main.cs"], FilesUnder("proj"));
    }

    [Fact]
    public void First_scaffold_requires_base_and_leaves_no_file()
    {
        foreach (var extra in new[] { Array.Empty<string>(), ["--rescaffold"] })
        {
            var r = Train(["proj", .. extra]);
            Assert.Equal(1, r.ExitCode);
            Assert.Equal(["scaffold: first-run scaffold requires --base <key>. Pick from the base registry (e.g. smollm2-135m, qwen2.5-coder-1.5b) or pass --base hf:<org>/<name> for an off-registry model."], r.StderrLines);
            Assert.False(Directory.Exists(P("proj/.dlm")));
        }
    }

    [Fact]
    public void Reuse_by_name_and_the_single_candidate_never_change_the_file()
    {
        var idOther = IdOf(Train("proj", "--name", "notes", "--base", "b", "--dry-run"));
        var before = File.ReadAllBytes(P("proj/.dlm/notes.dlm"));
        // The default name with one candidate reuses it, whatever its name.
        var r = Train("proj", "--dry-run");
        Assert.Equal(0, r.ExitCode);
        Assert.Equal("", r.Stderr);
        Assert.Contains("document: proj/.dlm/notes.dlm", r.Stdout);
        Assert.Contains($"dlm_id: {idOther}", r.Stdout);
        // Reuse by name, with scaffold flags that it ignores (and says so).
        r = Train("proj", "--name", "notes", "--base", "other", "--exclude", "x", "--policy", "permissive", "-R", "--dry-run");
        Assert.Equal(0, r.ExitCode);
        var warning = Assert.Single(r.StderrLines);
        Assert.StartsWith("warning: --base, --exclude, --policy, --no-recursive ignored: reusing proj/.dlm/notes.dlm", warning);
        Assert.Equal(before, File.ReadAllBytes(P("proj/.dlm/notes.dlm")));
        Assert.Equal([".dlm", ".dlm/notes.dlm", "README.md", "src", "src/main.cs"], FilesUnder("proj"));
    }

    [Fact]
    public void Several_candidates_with_the_default_name_are_listed()
    {
        Train("proj", "--name", "b-notes", "--base", "b", "--dry-run");
        Train("proj", "--name", "a-code", "--base", "b", "--dry-run");
        var r = Train("proj", "--dry-run");
        Assert.Equal(1, r.ExitCode);
        Assert.Equal(
        [
            "scaffold: multiple .dlm files found under proj/.dlm; pass --name to pick one:",
            "  dlm train proj --name a-code",
            "  dlm train proj --name b-notes",
        ], r.StderrLines);
        Assert.Equal("", r.Stdout);
        // A name that is not there scaffolds next to them.
        r = Train("proj", "--name", "c", "--base", "b", "--dry-run");
        Assert.Equal(0, r.ExitCode);
        Assert.True(File.Exists(P("proj/.dlm/c.dlm")));
    }

    [Fact]
    public void Rescaffold_keeps_the_dlm_id_and_rewrites_from_the_flags()
    {
        var id = IdOf(Train("proj", "--base", "smollm2-135m", "--dry-run"));
        var r = Train("proj", "--rescaffold", "--base", "qwen2.5-coder-1.5b", "--include", "src/**", "--dry-run");
        Assert.Equal(0, r.ExitCode);
        Assert.Equal([$"scaffolded: proj/.dlm/corpus.dlm (dlm_id={id})"], r.StderrLines);
        Assert.Equal(Expected(id, "qwen2.5-coder-1.5b", "strict", Proj, ["src/**"]), File.ReadAllText(P("proj/.dlm/corpus.dlm")));
        // --rescaffold without --base refuses and keeps the file as it was.
        var before = File.ReadAllBytes(P("proj/.dlm/corpus.dlm"));
        r = Train("proj", "--rescaffold");
        Assert.Equal(1, r.ExitCode);
        Assert.Equal(before, File.ReadAllBytes(P("proj/.dlm/corpus.dlm")));
    }

    [Fact]
    public void Dot_dlm_that_is_not_a_directory_is_one_line_naming_it()
    {
        File.WriteAllText(P("proj/.dlm"), "not a folder");
        var r = Train("proj", "--base", "b");
        Assert.Equal(1, r.ExitCode);
        var line = Assert.Single(r.StderrLines);
        Assert.Contains("proj/.dlm", line);
        Assert.DoesNotContain("   at ", r.Stderr);
        Assert.Equal("not a folder", File.ReadAllText(P("proj/.dlm")));
    }

    [Fact]
    public void A_reused_document_that_does_not_parse_is_reported_at_its_line_and_changes_nothing()
    {
        Directory.CreateDirectory(P("proj/.dlm"));
        File.WriteAllText(P("proj/.dlm/corpus.dlm"), "---\ndlm_id: 01JD8X2Y3Z4A5B6C7D8E9F0G1H\nbase_model: b\nno_such_key: 1\n---\nbody\n");
        var before = File.ReadAllBytes(P("proj/.dlm/corpus.dlm"));
        var r = Train("proj", "--dry-run");
        Assert.Equal(1, r.ExitCode);
        var line = Assert.Single(r.StderrLines);
        Assert.Matches(@"^proj/\.dlm/corpus\.dlm:4:1: .*no_such_key", line);
        Assert.Equal("", r.Stdout);
        Assert.Equal(before, File.ReadAllBytes(P("proj/.dlm/corpus.dlm")));
        Assert.False(Directory.Exists(_home));
    }

    [Fact]
    public void A_folder_name_with_quote_and_backslash_reads_back_exactly()
    {
        var odd = P("we\"ird\\name");
        Directory.CreateDirectory(odd);
        File.WriteAllText(Path.Combine(odd, "a.md"), "a\n");
        var r = Train("we\"ird\\name", "--base", "b", "--include", "say \"hi\"\\*", "--include", "*.md", "--dry-run");
        Assert.Equal(0, r.ExitCode);
        var doc = DlmDocumentReader.ReadFile(Path.Combine(odd, ".dlm", "corpus.dlm"));
        var source = Assert.Single(doc.Frontmatter.Training.Sources!);
        Assert.Equal(RealPath.Resolve(odd), source.Path);
        Assert.Equal(["say \"hi\"\\*", "*.md"], source.Include);
        Assert.Contains("    - path: \"" + RealPath.Resolve(odd)!.Replace("\\", "\\\\").Replace("\"", "\\\"") + "\"\n",
            File.ReadAllText(Path.Combine(odd, ".dlm", "corpus.dlm")));
        Assert.Contains("  kept a.md", r.Stdout);
    }

    [Fact]
    public void The_source_path_is_the_resolved_folder()
    {
        File.CreateSymbolicLink(P("alias"), P("proj"));
        var r = Train("alias", "--base", "b", "--dry-run");
        Assert.Equal(0, r.ExitCode);
        Assert.Contains($"    - path: \"{Proj}\"\n", File.ReadAllText(P("proj/.dlm/corpus.dlm")));
        Assert.Equal([$"scaffolded: alias/.dlm/corpus.dlm (dlm_id={IdOf(r)})"], r.StderrLines);
    }

    [Fact]
    public void Without_dry_run_an_unknown_base_is_refused_before_the_store_is_touched()
    {
        var r = Train("proj", "--base", "b");
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("  kept README.md", r.Stderr); // a real run reports on stderr: stdout is for the final loss
        Assert.Equal("", r.Stdout);
        Assert.StartsWith("unknown base model 'b'", r.StderrLines[^1]);
        Assert.True(File.Exists(P("proj/.dlm/corpus.dlm"))); // the scaffold stays: resolving is done
        Assert.False(Directory.Exists(_home));
    }

    [Fact]
    public void A_strict_escape_in_the_document_is_an_error()
    {
        Directory.CreateDirectory(P("proj/.dlm"));
        Directory.CreateDirectory(P("elsewhere"));
        File.WriteAllText(P("proj/.dlm/corpus.dlm"),
            $"---\ndlm_id: 01JD8X2Y3Z4A5B6C7D8E9F0G1H\nbase_model: b\ntraining:\n  sources_policy: strict\n  sources:\n    - path: ../elsewhere\n---\n");
        var r = Train("proj", "--dry-run");
        Assert.Equal(1, r.ExitCode);
        Assert.Equal([$"directive path {RealPath.Resolve(P("elsewhere"))} escapes strict-policy root {Proj}"], r.StderrLines);
    }
}
