using Dlm.Documents.Format;

namespace Dlm.Documents.Tests.Format;

/// <summary>Ids against hashes computed by hand with Python: hashlib.sha256((type + "\n" + content).encode()).hexdigest()[:16].</summary>
public class SectionIdTests
{
    [Theory]
    [InlineData(SectionType.Prose, "Hello world.\n", "c9dbf072c3f6d772")]
    [InlineData(SectionType.Prose, "Hello world.", "f92c6643ed7ad8b0")]
    [InlineData(SectionType.Instruction, "### Q\nWhat?\n### A\nThat.", "ee9f8762785a9d21")]
    [InlineData(SectionType.Prose, "héllo ☃", "ac6d2621f8ffa404")]
    [InlineData(SectionType.Preference, "### Prompt\np\n### Chosen\nc\n### Rejected\nr", "92fd3c5ad9c7d43f")]
    [InlineData(SectionType.Image, "figs/a.png", "46c08f316dcfccfe")]
    public void Compute_matches_upstreams_hash(SectionType type, string identity, string id) =>
        Assert.Equal(id, SectionId.Compute(type, identity));

    [Fact]
    public void Parsed_sections_get_upstreams_ids()
    {
        var d = Docs.Body("\nHello world.\n\n::instruction::\n### Q\nWhat?\n### A\nThat.\n::image path=\"figs/a.png\"::\na caption\n");
        Assert.Equal(["c9dbf072c3f6d772", "ee9f8762785a9d21", "46c08f316dcfccfe"], d.Sections.Select(s => s.Id));
    }

    [Fact]
    public void A_trailing_blank_line_changes_the_id()
    {
        var a = Docs.Body("::prose::\nHello world.\n::instruction::\n### Q\nq\n### A\na\n");
        var b = Docs.Body("::prose::\nHello world.\n\n::instruction::\n### Q\nq\n### A\na\n");
        Assert.Equal("f92c6643ed7ad8b0", a.Sections[0].Id);
        Assert.Equal("c9dbf072c3f6d772", b.Sections[0].Id);
    }

    [Fact]
    public void The_adapter_suffix_and_start_line_are_not_part_of_the_id()
    {
        var a = Docs.Body("::instruction::\n### Q\nWhat?\n### A\nThat.\n");
        var b = Docs.Body("\n\n\n::instruction#tone::\n### Q\nWhat?\n### A\nThat.\n");
        Assert.Equal(a.Sections[0].Id, b.Sections[0].Id);
        Assert.Equal("tone", b.Sections[0].Adapter);
    }

    [Fact]
    public void Hashing_normalises_like_upstream_a_leading_bom_and_cr_line_breaks()
    {
        Assert.Equal(SectionId.Compute(SectionType.Prose, "body\n"), SectionId.Compute(SectionType.Prose, "\uFEFFbody\n"));
        Assert.Equal(SectionId.Compute(SectionType.Prose, "line1\nline2\n"), SectionId.Compute(SectionType.Prose, "line1\r\nline2\r\n"));
        Assert.NotEqual(SectionId.Compute(SectionType.Prose, "same\n"), SectionId.Compute(SectionType.Instruction, "same\n"));
    }
}
