using Dlm.Documents.Format;

namespace Dlm.Documents.Tests.Format;

public class GrammarTests
{
    private static string Error(string section) => Docs.Fails(Docs.Front() + section).Message;

    [Fact]
    public void Pairs_are_read_with_multi_line_stripped_bodies()
    {
        var d = Docs.Body("::instruction::\n\n### Q\n  What is\n\nit?  \n### A \n\nA thing.\n\n```\ncode\n\n```\n### Q\nNext?\n### A\nYes.\n\n");
        Assert.Equal([new QaPair("What is\n\nit?", "A thing.\n\n```\ncode\n\n```"), new QaPair("Next?", "Yes.")], d.Sections[0].Pairs);
    }

    [Fact]
    public void Headers_may_carry_surrounding_whitespace()
    {
        var d = Docs.Body("::instruction::\n  ### Q  \nq\n\t### A\na\n");
        Assert.Equal([new QaPair("q", "a")], d.Sections[0].Pairs);
    }

    [Fact]
    public void Triples_are_read()
    {
        var d = Docs.Body("::preference::\n### Prompt\nHi\n### Chosen\nHello!\n### Rejected\nWhat.\n### Prompt\nBye\n### Chosen\nSee you.\n### Rejected\nGo.\n");
        Assert.Equal([new PreferenceTriple("Hi", "Hello!", "What."), new PreferenceTriple("Bye", "See you.", "Go.")], d.Sections[0].Triples);
    }

    [Theory]
    [InlineData("::instruction::\n### Q\nWhat?\n", "doc.dlm:7:1: `### Q` without `### A` (the instruction section ends first)")]
    [InlineData("::instruction::\n### Q\n\n### A\nx\n", "doc.dlm:7:1: `### Q` has an empty body")]
    [InlineData("::instruction::\n### Q\nq\n### A\n   \n", "doc.dlm:9:1: `### A` has an empty body")]
    [InlineData("::instruction::\n### A\nx\n", "doc.dlm:7:1: `### A` without a `### Q` before it")]
    [InlineData("::instruction::\nloose text\n### Q\nq\n### A\na\n", "doc.dlm:7:1: text outside a Q/A pair: expected `### Q`, got 'loose text'")]
    [InlineData("::instruction::\n### Q What is it?\n### A\nx\n", "doc.dlm:7:1: `### Q` must be alone on its line (put the text on the next line), got '### Q What is it?'")]
    [InlineData("::instruction::\n### Q\nq\n  ### A: yes\n", "doc.dlm:9:3: `### A` must be alone on its line (put the text on the next line), got '### A: yes'")]
    [InlineData("::instruction::\n\n  \n", "doc.dlm:6:1: instruction section has no `### Q` / `### A` pairs")]
    [InlineData("::preference::\n### Prompt\np\n### Chosen\nc\n", "doc.dlm:7:1: `### Prompt` without `### Rejected` (the preference section ends first)")]
    [InlineData("::preference::\n### Prompt\np\n### Rejected\nr\n", "doc.dlm:9:1: `### Prompt` must be followed by `### Chosen`, got `### Rejected`")]
    [InlineData("::preference::\n### Chosen\nc\n", "doc.dlm:7:1: `### Chosen` without a `### Prompt` before it")]
    [InlineData("::preference::\n### Prompt Hi\n", "doc.dlm:7:1: `### Prompt` must be alone on its line (put the text on the next line), got '### Prompt Hi'")]
    [InlineData("::preference::\n", "doc.dlm:6:1: preference section has no `### Prompt` / `### Chosen` / `### Rejected` triples")]
    public void Grammar_errors_carry_the_file_position(string section, string message) => Assert.Equal(message, Error(section));

    [Fact]
    public void A_second_Q_in_a_row_is_folded_into_nothing_but_reported()
    {
        // `### Q` `q1` `### Q` ...: the first Q has a body, then a Q arrives where `### A` is due.
        Assert.Equal("doc.dlm:9:1: `### Q` must be followed by `### A`, got `### Q`", Error("::instruction::\n### Q\nq1\n### Q\nq2\n### A\na\n"));
    }

    [Fact]
    public void Header_like_lines_inside_code_blocks_are_content()
    {
        var d = Docs.Body("::instruction::\n### Q\nShow me.\n### A\n```\n### A note in code\n```\n");
        Assert.Equal("```\n### A note in code\n```", d.Sections[0].Pairs[0].Answer);
    }

    [Fact]
    public void A_marker_shifts_error_lines_by_one()
    {
        Assert.Equal("doc.dlm:8:1: `### Q` without `### A` (the instruction section ends first)",
            Error("::instruction::\n<!-- dlm-auto-harvest: source=\"r\" -->\n### Q\nq\n"));
    }
}
