namespace Dlm.Documents.Tests.Format;

public class YamlErrorPositionTests
{
    private static string Error(string extra) => Docs.Fails(Docs.Front(extra) + "x\n").Message;

    [Fact]
    public void An_unclosed_flow_sequence_points_past_it() =>
        Assert.Equal("doc.dlm:7:1: invalid YAML: While parsing a flow sequence, did not find expected ',' or ']'.", Error("training:\n  lora_r: [1, 2\n"));

    [Fact]
    public void Tab_indentation_points_at_the_tab() =>
        Assert.Equal("doc.dlm:6:1: invalid YAML: While scanning a mapping, found invalid tab as indentation.", Error("training:\n\tlora_r: 8\n"));

    [Fact]
    public void An_unknown_alias_points_at_its_use() =>
        Assert.StartsWith("doc.dlm:5:16: invalid YAML: The anchor 'b' does not exist", Error("system_prompt: *b\n"));

    [Fact]
    public void A_control_character_points_at_itself() =>
        Assert.Equal("doc.dlm:5:18: control character U+0007 is not allowed in YAML frontmatter", Error("system_prompt: ab\u0007c\n"));

    [Fact]
    public void An_unclosed_quote_points_at_its_opening() =>
        Assert.StartsWith("doc.dlm:5:16: invalid YAML: While scanning a quoted scalar", Error("system_prompt: \"unclosed\n"));
}
