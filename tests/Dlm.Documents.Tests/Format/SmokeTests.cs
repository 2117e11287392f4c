using Dlm.Documents.Format;

namespace Dlm.Documents.Tests.Format;

public class SmokeTests
{
    [Fact]
    public void A_minimal_document_parses_with_defaults()
    {
        var d = Docs.Body("\nHello world.\n\n::instruction::\n### Q\nWhat?\n### A\nThat.\n");
        Assert.Equal(Docs.Id, d.Frontmatter.DlmId);
        Assert.Equal(8, d.Frontmatter.Training.LoraR);
        Assert.Equal(2, d.Sections.Count);
        Assert.Equal(SectionType.Prose, d.Sections[0].Type);
        Assert.Equal("Hello world.\n", d.Sections[0].Content);
        Assert.Equal(7, d.Sections[0].StartLine);
        Assert.Equal([new QaPair("What?", "That.")], d.Sections[1].Pairs);
        Assert.Equal(9, d.Sections[1].StartLine);
    }
}
