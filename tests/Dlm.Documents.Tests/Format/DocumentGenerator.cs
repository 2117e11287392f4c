using System.Text;

namespace Dlm.Documents.Tests.Format;

/// <summary>
/// Random valid documents for property tests (seeded, so every run checks the same cases):
/// varied frontmatter spelling, every section type, blank and trailing-space lines, code
/// blocks, non-ASCII text, adapters, markers, and then a random BOM and line-break style.
/// </summary>
internal sealed class DocumentGenerator(int seed)
{
    private readonly Random _r = new(seed);

    private static readonly string[] Words = ["alpha", "béta", "γάμμα", "δ", "日本語", "emoji 🎉", "tab\tin", "::not a fence", "### Qx", "---", "`code`", "  lead", "trail  "];

    public byte[] NextBytes(out string text)
    {
        text = NextText();
        var newline = _r.Next(4) switch { 0 => "\r\n", 1 => "\r", _ => "\n" };
        var styled = newline == "\n" ? text : text.Replace("\n", newline);
        if (_r.Next(5) == 0 && newline == "\n")
        {
            // Mixed line breaks: some CRLF, some LF.
            var sb = new StringBuilder();
            foreach (var c in text) sb.Append(c == '\n' && _r.Next(2) == 0 ? "\r\n" : c.ToString());
            styled = sb.ToString();
        }
        var bytes = new UTF8Encoding(false).GetBytes(styled);
        return _r.Next(4) == 0 ? [0xEF, 0xBB, 0xBF, .. bytes] : bytes;
    }

    public string NextText()
    {
        var sb = new StringBuilder("---\n");
        var keys = new List<string>
        {
            $"dlm_id: {(_r.Next(2) == 0 ? Docs.Id : $"\"{Docs.Id}\"")}",
            "base_model: " + Pick("smollm2-135m", "hf:HuggingFaceTB/SmolLM2-135M-Instruct", "'qwen2.5-1.5b'", "\"./models/my base\""),
        };
        var version = _r.Next(3) == 0 ? (int?)null : _r.Next(1, 16);
        if (version is not null) keys.Add($"dlm_version: {version}");
        if (_r.Next(2) == 0) keys.Add("system_prompt: " + Pick("Be brief.", "\"Line one\\nline two\"", "'It''s fine'", "|\n  Block text\n  here"));
        Shuffle(keys);
        foreach (var k in keys) sb.Append(k).Append('\n');
        if (_r.Next(3) == 0) sb.Append("# a comment\n");
        if (_r.Next(2) == 0)
        {
            sb.Append("training:\n");
            var t = new List<string>();
            if (_r.Next(2) == 0) t.Add($"  lora_r: {_r.Next(1, 257)}");
            if (_r.Next(2) == 0) t.Add($"  learning_rate: {Pick("1e-4", "0.0002", "\"3e-5\"", "2.0E-4")}");
            if (_r.Next(2) == 0) t.Add($"  micro_batch_size: {Pick("auto", "4", "\"2\"")}");
            if (_r.Next(2) == 0) t.Add($"  target_modules: {Pick("auto", "[q_proj, v_proj]", "\n    - o_proj")}");
            if (_r.Next(3) == 0) t.Add("  precision: " + Pick("bf16", "null", "~"));
            if (_r.Next(3) == 0) t.Add("  seed: " + _r.Next(-5, 100000));
            if (_r.Next(3) == 0)
                t.Add(version == 1 ? "  dpo:\n    enabled: yes\n    beta: 0.25\n    reference: pre_dpo_adapter" : "  preference:\n    enabled: on\n    hyperparams:\n      beta: 0.25");
            if (_r.Next(3) == 0) t.Add("  cpt: {}");
            if (_r.Next(3) == 0) t.Add($"  sources_policy: {Pick("strict", "permissive")}");
            if (_r.Next(3) == 0) t.Add("  sources:\n    - path: \"src dir\"\n      include: [\"**/*.md\", \"*.{txt,rst}\"]\n    - path: ~/notes\n      max_files: 3");
            Shuffle(t);
            foreach (var line in t) sb.Append(line).Append('\n');
        }
        if (_r.Next(3) == 0) sb.Append("export:\n  default_quant: Q8_0\n  default_top_p: 0.9\n");
        sb.Append("---\n");

        var sections = _r.Next(0, 6);
        if (_r.Next(2) == 0) sb.Append('\n');
        for (var i = 0; i < sections; i++) Section(sb, i == 0);
        var body = sb.ToString();
        return _r.Next(4) == 0 ? body.TrimEnd('\n') : body;
    }

    private void Section(StringBuilder sb, bool first)
    {
        var adapter = _r.Next(4) == 0 ? Pick("#tone", "#facts_2") : "";
        switch (_r.Next(6))
        {
            case 0 or 1:
                if (!first || _r.Next(2) == 0) sb.Append($"::prose{adapter}::\n");
                Lines(sb, 1, 6);
                if (_r.Next(3) == 0) sb.Append("```\n::instruction::\n\n```\n");
                break;
            case 2:
                sb.Append($"::instruction{adapter}::\n");
                if (_r.Next(5) == 0) sb.Append("<!-- dlm-auto-synth: synth_teacher=\"self\" synth_at=\"2026-01-01T00:00:00Z\" -->\n");
                for (var n = _r.Next(1, 3); n > 0; n--)
                {
                    if (_r.Next(3) == 0) sb.Append('\n');
                    sb.Append(Pick("### Q", "  ### Q  ")).Append('\n');
                    Lines(sb, 1, 3, nonBlank: true);
                    sb.Append("### A\n");
                    Lines(sb, 1, 3, nonBlank: true);
                }
                break;
            case 3:
                sb.Append($"::preference{adapter}::\n");
                if (_r.Next(5) == 0) sb.Append("<!-- dlm-auto-harvest: source=\"run_1\" -->\n");
                foreach (var h in new[] { "### Prompt", "### Chosen", "### Rejected" })
                {
                    sb.Append(h).Append('\n');
                    Lines(sb, 1, 2, nonBlank: true);
                }
                break;
            case 4:
                sb.Append(Pick("::image path=\"figs/a.png\"::", "::image path=\"b.jpg\" alt=\"A b\"::", "::image  path=\"c.png\"  ::")).Append('\n');
                if (_r.Next(2) == 0) Lines(sb, 1, 2);
                break;
            default:
                sb.Append("::audio path=\"x.wav\" transcript=\"hi there\"::\n");
                break;
        }
        if (_r.Next(3) == 0) sb.Append('\n');
    }

    private void Lines(StringBuilder sb, int min, int max, bool nonBlank = false)
    {
        for (var n = _r.Next(min, max + 1); n > 0; n--)
        {
            if (!nonBlank && _r.Next(4) == 0) { sb.Append(Pick("", "   ", "\t")).Append('\n'); continue; }
            var words = Enumerable.Range(0, _r.Next(1, 5)).Select(_ => Words[_r.Next(Words.Length)]);
            var line = string.Join(' ', words);
            if (nonBlank && line.TrimStart().StartsWith("###", StringComparison.Ordinal)) line = "x " + line;
            if (line == "---" || line.StartsWith("```", StringComparison.Ordinal)) line = "x" + line;
            sb.Append(line).Append('\n');
        }
    }

    private string Pick(params string[] options) => options[_r.Next(options.Length)];

    private void Shuffle<T>(List<T> list)
    {
        for (var i = list.Count - 1; i > 0; i--)
        {
            var j = _r.Next(i + 1);
            (list[i], list[j]) = (list[j], list[i]);
        }
    }
}
