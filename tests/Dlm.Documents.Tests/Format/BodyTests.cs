using Dlm.Documents.Format;

namespace Dlm.Documents.Tests.Format;

public class BodyTests
{
    [Fact]
    public void Content_is_kept_untrimmed_between_fences()
    {
        var d = Docs.Body("\n  indented prose  \n\n\n::prose::\n\n  second\n\n");
        Assert.Equal(["  indented prose  \n\n", "\n  second\n"], d.Sections.Select(s => s.Content));
        Assert.Null(d.Sections[0].Fence);
        Assert.Equal("::prose::", d.Sections[1].Fence);
    }

    [Fact]
    public void Whitespace_only_prose_is_dropped_but_fenced_types_are_kept()
    {
        var d = Docs.Body("\n \n\t\n::instruction::\n### Q\nq\n### A\na\n::prose::\n   \n::prose::\nreal\n");
        Assert.Equal([SectionType.Instruction, SectionType.Prose], d.Sections.Select(s => s.Type));
        Assert.Equal("real", d.Sections[1].Content);
    }

    [Fact]
    public void An_empty_body_has_no_sections() => Assert.Empty(Docs.Parse(Docs.Front()).Sections);

    [Fact]
    public void Fences_must_match_exactly()
    {
        var d = Docs.Body("::prose:: \n ::instruction::\n::instruction ::\n::Instruction::x\n");
        Assert.Equal(SectionType.Prose, Assert.Single(d.Sections).Type);
    }

    [Fact]
    public void Code_blocks_hide_fences_and_are_part_of_the_content()
    {
        var body = "Before\n```dlm\n::instruction::\n### Q\n```\nAfter\n````\n::preference::\n````\n";
        var d = Docs.Body(body);
        var s = Assert.Single(d.Sections);
        Assert.Equal(body.TrimEnd('\n'), s.Content);
    }

    [Fact]
    public void A_backtick_line_toggles_only_at_column_0()
    {
        var d = Docs.Body("x\n  ```\n::instruction::\n### Q\nq\n### A\na\n");
        Assert.Equal([SectionType.Prose, SectionType.Instruction], d.Sections.Select(s => s.Type));
    }

    [Fact]
    public void An_unterminated_code_block_is_an_error_where_it_opens()
    {
        var e = Docs.Fails(Docs.Front() + "\nprose\n\n```python\nprint()\n::instruction::\n");
        Assert.Equal("doc.dlm:9:1: unterminated ``` code block (opened here, never closed)", e.Message);
    }

    [Fact]
    public void An_unknown_fence_lists_the_valid_types()
    {
        var e = Docs.Fails(Docs.Front() + "x\n::instructions::\n");
        Assert.Equal("doc.dlm:7:1: unknown section fence '::instructions::'; valid types are prose, instruction, preference, image, audio", e.Message);
    }

    [Theory]
    [InlineData("::instruction#::", "fence '::instruction#::' has an empty adapter name after '#'")]
    [InlineData("::instruction#Tone::", "fence '::instruction#Tone::' has an invalid adapter name 'Tone' (must match ^[a-z][a-z0-9_]{0,31}$)")]
    [InlineData("::image::", "fence '::image::' needs attributes, e.g. ::image path=\"...\"::")]
    [InlineData("::prose x=\"1\"::", "fence '::prose ...::' does not take attributes (only image and audio do)")]
    [InlineData("::image alt=\"a\"::", "fence '::image ...::' is missing required attribute(s) path")]
    [InlineData("::image path=\"a\" path=\"b\"::", "fence '::image ...::' repeats attribute 'path'")]
    [InlineData("::image path=\"a\" size=\"2\"::", "fence '::image ...::' has unknown attribute 'size' (allowed: path, alt)")]
    [InlineData("::audio path=\"a.wav\"::", "fence '::audio ...::' is missing required attribute(s) transcript")]
    [InlineData("::video path=\"a\"::", "unknown section fence '::video ...::'; valid types are prose, instruction, preference, image, audio")]
    public void Bad_fences_are_errors_at_their_line(string fence, string message) =>
        Assert.Equal($"doc.dlm:6:1: {message}", Docs.Fails(Docs.Front() + fence + "\n").Message);

    [Fact]
    public void Media_fences_carry_attributes_and_an_optional_caption()
    {
        var d = Docs.Body("::image path=\"figs/a.png\" alt=\"A cat\"::\nA cat on a mat.\n::audio path=\"a.wav\" transcript=\"hello\"::\n");
        Assert.Equal("figs/a.png", d.Sections[0].MediaPath);
        Assert.Equal("A cat", d.Sections[0].Attributes["alt"]);
        Assert.Equal("A cat on a mat.", d.Sections[0].Content);
        Assert.Equal(SectionType.Audio, d.Sections[1].Type);
        Assert.Equal("hello", d.Sections[1].Attributes["transcript"]);
        Assert.Equal("", d.Sections[1].Content);
    }

    [Fact]
    public void Start_lines_are_file_lines()
    {
        var d = Docs.Body("\n\nfirst\n::preference#style::\n### Prompt\np\n### Chosen\nc\n### Rejected\nr\n");
        Assert.Equal([7, 9], d.Sections.Select(s => s.StartLine));
        Assert.Equal("style", d.Sections[1].Adapter);
    }

    [Fact]
    public void Upstream_provenance_markers_are_lifted_before_hashing()
    {
        const string synth = "<!-- dlm-auto-synth: synth_teacher=\"self\" synth_strategy=\"extraction\" synth_at=\"2026-04-23T20:00:00Z\" source_section_id=\"0123abc456def789\" -->";
        var marked = Docs.Body($"::instruction::\n{synth}\n### Q\nWhat?\n### A\nThat.\n");
        var plain = Docs.Body("::instruction::\n### Q\nWhat?\n### A\nThat.\n");
        var s = Assert.Single(marked.Sections);
        Assert.Equal(plain.Sections[0].Id, s.Id);
        Assert.Equal("synth", s.Marker!.Kind);
        Assert.Equal("self", s.Marker.Attributes["synth_teacher"]);
        Assert.Equal(synth, s.Marker.Line);

        var harvest = Docs.Body("::preference::\n<!-- dlm-auto-harvest: source=\"run_3_sway\" -->\n### Prompt\np\n### Chosen\nc\n### Rejected\nr\n");
        Assert.Equal("92fd3c5ad9c7d43f", harvest.Sections[0].Id);
        Assert.Equal("run_3_sway", harvest.Sections[0].Marker!.Attributes["source"]);

        // A synth marker on a preference section is plain content, as upstream (and then breaks the grammar).
        Assert.Contains("text outside a preference triple", Docs.Fails(Docs.Front() + $"::preference::\n{synth}\n### Prompt\np\n### Chosen\nc\n### Rejected\nr\n").Message);
        const string mined = "<!-- dlm-auto-mined: judge_name=\"sway:preference_judge\" judge_score_chosen=\"0.9\" judge_score_rejected=\"0.1\" mined_at=\"2026-04-23T20:00:00Z\" mined_run_id=\"7\" -->";
        var minedDoc = Docs.Body($"::preference::\n{mined}\n### Prompt\np\n### Chosen\nc\n### Rejected\nr\n");
        Assert.Equal(("mined", "7"), (minedDoc.Sections[0].Marker!.Kind, minedDoc.Sections[0].Marker!.Attributes["mined_run_id"]));
        Assert.Equal("92fd3c5ad9c7d43f", minedDoc.Sections[0].Id);
        // A mined marker on an instruction is literal content.
        Assert.Contains("text outside a Q/A pair", Docs.Fails(Docs.Front() + $"::instruction::\n{mined}\n### Q\nq\n### A\na\n").Message);

        // Prose never has a marker.
        Assert.Null(Docs.Body($"::prose::\n{synth}\n").Sections[0].Marker);
    }
}
