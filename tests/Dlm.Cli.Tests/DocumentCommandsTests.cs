using System.Text;
using System.Text.Json;

namespace Dlm.Cli.Tests;

/// <summary>`dlm init`, `dlm show`, `dlm fmt` end to end on real files.</summary>
public sealed class DocumentCommandsTests : IDisposable
{
    private const string Id = "01KPQ9X1000000000000000000";
    private readonly string _dir = Directory.CreateTempSubdirectory("dlm-doc-cli-").FullName;
    private readonly string _home = Directory.CreateTempSubdirectory("dlm-doc-home-").FullName;

    public void Dispose()
    {
        Directory.Delete(_dir, recursive: true);
        Directory.Delete(_home, recursive: true);
    }

    private CliRunner.Result Run(params string[] args) => CliRunner.Run(new Dictionary<string, string> { ["DLM_HOME"] = _home }, null, args);

    private string Write(string name, string text)
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllText(path, text, new UTF8Encoding(false));
        return path;
    }

    private JsonElement ShowJson(string path)
    {
        var r = Run("show", path, "--json");
        Assert.True(r.ExitCode == 0, r.Stderr);
        return JsonDocument.Parse(r.Stdout).RootElement.Clone();
    }

    [Fact]
    public void Init_writes_a_starter_that_parses_and_refuses_to_overwrite()
    {
        var path = Path.Combine(_dir, "notes.dlm");
        var r = Run("init", path, "--base", "smollm2-135m");
        Assert.True(r.ExitCode == 0, r.Stderr);
        var line = Assert.Single(r.StderrLines);
        Assert.Matches($"^created: {System.Text.RegularExpressions.Regex.Escape(path)} \\(dlm_id=[0-9A-HJKMNP-TV-Z]{{26}}\\)$", line);

        var json = ShowJson(path);
        var fm = json.GetProperty("frontmatter");
        Assert.Equal(15, fm.GetProperty("dlm_version").GetInt32());
        Assert.Equal("smollm2-135m", fm.GetProperty("base_model").GetString());
        Assert.Equal(line[(line.IndexOf("dlm_id=", StringComparison.Ordinal) + 7)..^1], fm.GetProperty("dlm_id").GetString());
        var types = json.GetProperty("sections").EnumerateArray().Select(s => s.GetProperty("type").GetString()).ToList();
        Assert.Equal(["prose", "instruction"], types);

        var before = File.ReadAllBytes(path);
        var again = Run("init", path, "--base", "qwen2.5-1.5b");
        Assert.Equal(1, again.ExitCode);
        Assert.Equal($"dlm: {path} already exists; dlm init never overwrites (pick another path)", Assert.Single(again.StderrLines));
        Assert.Equal(before, File.ReadAllBytes(path));
        Assert.Equal([path], Directory.GetFiles(_dir));
    }

    [Fact]
    public void Init_templates_differ_and_are_listed_in_help()
    {
        var help = Run("init", "--help");
        Assert.Contains("<default|notes|qa>", help.Stdout);
        var qa = Path.Combine(_dir, "qa.dlm");
        Assert.Equal(0, Run("init", qa, "--base", "hf:Qwen/Qwen2.5-0.5B-Instruct", "--template", "qa").ExitCode);
        var json = ShowJson(qa);
        Assert.Equal("You answer briefly and precisely.", json.GetProperty("frontmatter").GetProperty("system_prompt").GetString());
        Assert.Equal("hf:Qwen/Qwen2.5-0.5B-Instruct", json.GetProperty("frontmatter").GetProperty("base_model").GetString());
        var pairs = json.GetProperty("sections")[1].GetProperty("pairs");
        Assert.Equal(2, pairs.GetArrayLength());

        var notes = Path.Combine(_dir, "n.dlm");
        Assert.Equal(0, Run("init", notes, "--base", "smollm2-135m", "--template", "notes").ExitCode);
        Assert.Contains("::this-is-not-a-fence::", ShowJson(notes).GetProperty("sections")[0].GetProperty("text").GetString());
    }

    [Fact]
    public void Init_usage_errors_exit_2_and_write_nothing()
    {
        Assert.Equal(2, Run("init", Path.Combine(_dir, "a.dlm")).ExitCode);
        Assert.Equal(2, Run("init", Path.Combine(_dir, "b.dlm"), "--base", "x", "--template", "nope").ExitCode);
        Assert.Empty(Directory.GetFiles(_dir));
    }

    [Fact]
    public void Show_json_has_the_contract_shape()
    {
        var path = Write("doc.dlm",
            $"---\ndlm_id: {Id}\ndlm_version: 1\nbase_model: smollm2-135m\ntraining:\n  lora_r: 16\n  dpo:\n    beta: 0.2\n---\n\nSome prose.\n\n" +
            "::instruction#tone::\n### Q\nWhat?\n### A\nThat.\n### Q\nWhy?\n### A\nBecause.\n::preference::\n### Prompt\nHi\n### Chosen\nHello!\n### Rejected\nWhat.\n");
        var json = ShowJson(path);
        Assert.Equal(["frontmatter", "sections", "descent", "store"], json.EnumerateObject().Select(p => p.Name));
        var t = json.GetProperty("frontmatter").GetProperty("training");
        Assert.Equal(16, t.GetProperty("lora_r").GetInt32());
        Assert.Equal(16, t.GetProperty("lora_alpha").GetInt32());
        Assert.Equal(0.2, t.GetProperty("preference").GetProperty("hyperparams").GetProperty("beta").GetDouble());
        Assert.Equal(JsonValueKind.Null, json.GetProperty("descent").ValueKind);

        var s = json.GetProperty("sections").EnumerateArray().ToList();
        Assert.Equal(3, s.Count);
        Assert.Equal(["type", "id", "start_line", "adapter", "text"], s[0].EnumerateObject().Select(p => p.Name));
        Assert.Equal("Some prose.\n", s[0].GetProperty("text").GetString());
        Assert.Equal(11, s[0].GetProperty("start_line").GetInt32());
        Assert.Equal(JsonValueKind.Null, s[0].GetProperty("adapter").ValueKind);
        Assert.Equal("2c5e3bc2ac0c5c8f".Length, s[0].GetProperty("id").GetString()!.Length);
        Assert.Equal("tone", s[1].GetProperty("adapter").GetString());
        Assert.Equal(13, s[1].GetProperty("start_line").GetInt32());
        Assert.Equal("Why?", s[1].GetProperty("pairs")[1].GetProperty("question").GetString());
        Assert.Equal("Because.", s[1].GetProperty("pairs")[1].GetProperty("answer").GetString());
        var triple = s[2].GetProperty("triples")[0];
        Assert.Equal(("Hi", "Hello!", "What."), (triple.GetProperty("prompt").GetString(), triple.GetProperty("chosen").GetString(), triple.GetProperty("rejected").GetString()));
    }

    [Fact]
    public void Show_reports_a_parse_error_as_one_located_line()
    {
        var path = Write("bad.dlm", $"---\ndlm_id: {Id}\nbase_model: b\ntraining:\n  lora_rr: 8\n---\nx\n");
        var r = Run("show", path, "--json");
        Assert.Equal(1, r.ExitCode);
        Assert.Equal("", r.Stdout);
        Assert.Equal($"{path}:5:3: unknown key 'training.lora_rr' (did you mean 'training.lora_r'?)", Assert.Single(r.StderrLines));

        var qa = Write("qa.dlm", $"---\ndlm_id: {Id}\nbase_model: b\n---\n::instruction::\n### Q\nNo answer\n");
        var q = Run("show", qa);
        Assert.Equal(1, q.ExitCode);
        Assert.Equal($"{qa}:6:1: `### Q` without `### A` (the instruction section ends first)", Assert.Single(q.StderrLines));

        var missing = Run("show", Path.Combine(_dir, "none.dlm"));
        Assert.Equal(1, missing.ExitCode);
        Assert.DoesNotContain("   at ", missing.Stderr);
    }

    [Fact]
    public void Show_human_view_marks_defaults_and_lists_sections_and_warnings()
    {
        var path = Write("doc.dlm", $"---\ndlm_id: {Id}\nbase_model: smollm2-135m\ntraining:\n  lora_r: 4\n  gate: {{}}\n---\nIntro.\n::instruction::\n### Q\nq?\n### A\na.\n");
        var r = Run("show", path);
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains("(schema v15, migrated from v1)", r.Stdout);
        Assert.Contains("  * base_model: \"smollm2-135m\"", r.Stdout);
        Assert.Contains("\n    * lora_r: 4\n", r.Stdout);
        Assert.Contains("\n      lora_alpha: 16\n", r.Stdout);
        Assert.Contains("\n  * training:\n", r.Stdout);
        Assert.Contains("2 sections (1 prose, 1 instruction, 1 Q/A pair, 0 preference triples)", r.Stdout);
        Assert.Matches(@"line 9  instruction [0-9a-f]{16}  1 Q/A pair: ""q\?""", r.Stdout);
        Assert.Equal([$"{path}:6:3: warning: training.gate is accepted but not implemented by dlm yet"], r.StderrLines);
    }

    [Fact]
    public void Fmt_rewrites_to_canonical_keeping_every_id()
    {
        var path = Path.Combine(_dir, "doc.dlm");
        var text = $"\uFEFF---\r\nbase_model: smollm2-135m\r\ndlm_id: {Id}\r\ntraining:\r\n  lora_r: '16'\r\n---\r\n::prose::\r\nIntro.  \r\n\r\n::instruction::\r\n### Q\r\nq?\r\n### A\r\na.\r\n";
        File.WriteAllBytes(path, Encoding.UTF8.GetBytes(text));
        var ids = ShowJson(path).GetProperty("sections").EnumerateArray().Select(s => s.GetProperty("id").GetString()).ToList();

        var check = Run("fmt", "--check", path);
        Assert.Equal(1, check.ExitCode);
        Assert.Equal($"would reformat: {path}", Assert.Single(check.StderrLines));

        var fmt = Run("fmt", path);
        Assert.True(fmt.ExitCode == 0, fmt.Stderr);
        Assert.Equal($"formatted: {path}", Assert.Single(fmt.StderrLines));
        Assert.Equal($"---\ndlm_id: {Id}\ndlm_version: 15\nbase_model: smollm2-135m\ntraining:\n  lora_r: 16\n---\n\nIntro.  \n\n::instruction::\n### Q\nq?\n### A\na.\n",
            File.ReadAllText(path));
        Assert.Equal(ids, ShowJson(path).GetProperty("sections").EnumerateArray().Select(s => s.GetProperty("id").GetString()));
        Assert.Equal(0, Run("fmt", "--check", path).ExitCode);
        Assert.Equal($"unchanged: {path}", Assert.Single(Run("fmt", path).StderrLines));
        Assert.Equal(["doc.dlm"], Directory.GetFiles(_dir).Select(Path.GetFileName));
    }

    [Fact]
    public void Fmt_leaves_a_bad_document_untouched()
    {
        var path = Write("bad.dlm", $"---\ndlm_id: {Id}\nbase_model: b\n---\n```\nnever closed\n");
        var before = File.ReadAllBytes(path);
        var r = Run("fmt", path);
        Assert.Equal(1, r.ExitCode);
        Assert.Equal($"{path}:5:1: unterminated ``` code block (opened here, never closed)", Assert.Single(r.StderrLines));
        Assert.Equal(before, File.ReadAllBytes(path));
    }

    [Fact]
    public void Show_json_carries_the_descent_report_and_the_store()
    {
        var proj = Path.Combine(_dir, "proj");
        Directory.CreateDirectory(Path.Combine(proj, "node_modules"));
        File.WriteAllText(Path.Combine(proj, "a.md"), "# A\n");
        File.WriteAllBytes(Path.Combine(proj, "b.bin"), [1, 0, 2]);
        File.WriteAllText(Path.Combine(proj, "node_modules", "x.js"), "x");
        var doc = Path.Combine(proj, "doc.dlm");
        File.WriteAllText(doc, $"---\ndlm_id: {Id}\nbase_model: b\ntraining:\n  sources:\n    - path: \".\"\n---\n");

        var json = ShowJson(doc);
        var descent = json.GetProperty("descent");
        Assert.Equal(["a.md"], descent.GetProperty("kept").EnumerateArray().Select(k => k.GetString()));
        var skipped = descent.GetProperty("skipped").EnumerateArray().ToDictionary(x => x.GetProperty("path").GetString()!, x => x.GetProperty("reason").GetString());
        Assert.Equal("binary", skipped["b.bin"]);
        Assert.Equal("excluded", skipped["node_modules/x.js"]);
        var store = json.GetProperty("store");
        Assert.False(store.GetProperty("exists").GetBoolean());
        Assert.Equal(Path.Combine(_home, "store", Id), store.GetProperty("path").GetString());

        var human = Run("show", doc);
        Assert.True(human.ExitCode == 0, human.Stderr);
        Assert.Contains("descent: 1 file kept", human.Stdout);
        Assert.Contains("  kept     a.md", human.Stdout);
        Assert.Contains("  skipped  b.bin (binary)", human.Stdout);
        Assert.Contains("(not trained yet)", human.Stdout);
    }

    [Fact]
    public void Show_json_reports_a_failing_directive_as_descent_error()
    {
        var doc = Write("doc.dlm", $"---\ndlm_id: {Id}\nbase_model: b\ntraining:\n  sources_policy: strict\n  sources:\n    - path: /\n---\n");
        var json = ShowJson(doc);
        Assert.Equal(JsonValueKind.Object, json.GetProperty("descent").ValueKind);
        Assert.Equal(["error"], json.GetProperty("descent").EnumerateObject().Select(p => p.Name));
        Assert.Contains("escapes strict-policy root", json.GetProperty("descent").GetProperty("error").GetString());
        Assert.Equal(JsonValueKind.Null, ShowJson(Write("plain.dlm", $"---\ndlm_id: {Id}\nbase_model: b\n---\nx\n")).GetProperty("descent").ValueKind);
    }

    [Fact]
    public void Show_resolves_a_folder_like_train_and_never_scaffolds()
    {
        var proj = Path.Combine(_dir, "proj");
        Directory.CreateDirectory(Path.Combine(proj, ".dlm"));
        File.WriteAllText(Path.Combine(proj, ".dlm", "corpus.dlm"), $"---\ndlm_id: {Id}\nbase_model: b\n---\nhello\n");
        var json = ShowJson(proj);
        Assert.Equal("hello", json.GetProperty("sections")[0].GetProperty("text").GetString());

        var empty = Path.Combine(_dir, "empty");
        Directory.CreateDirectory(empty);
        var r = Run("show", empty, "--json");
        Assert.Equal(1, r.ExitCode);
        Assert.Equal("", r.Stdout);
        Assert.Single(r.StderrLines);
        Assert.Empty(Directory.GetFileSystemEntries(empty));
    }

    [Fact]
    public void Show_json_gives_media_sections_their_attributes_and_warns_they_are_not_trained()
    {
        var path = Write("img.dlm", $"---\ndlm_id: {Id}\nbase_model: b\n---\n::image path=\"figs/cat.png\" alt=\"A cat\"::\nA cat on a mat.\n");
        var r = Run("show", path, "--json");
        Assert.True(r.ExitCode == 0, r.Stderr);
        var s = JsonDocument.Parse(r.Stdout).RootElement.GetProperty("sections")[0];
        Assert.Equal("image", s.GetProperty("type").GetString());
        Assert.Equal("figs/cat.png", s.GetProperty("attributes").GetProperty("path").GetString());
        Assert.Equal("A cat", s.GetProperty("attributes").GetProperty("alt").GetString());
        Assert.Equal("A cat on a mat.", s.GetProperty("text").GetString());
        Assert.Equal([$"{path}:5:1: warning: ::image:: sections are accepted but not trained by dlm yet"], r.StderrLines);
    }
}
