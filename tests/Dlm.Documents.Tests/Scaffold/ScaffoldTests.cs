using Dlm.Core;
using Dlm.Documents.Descent;
using Dlm.Documents.Format;
using Dlm.Documents.Scaffold;
using YamlDotNet.RepresentationModel;

namespace Dlm.Documents.Tests.Scaffold;

public class ScaffoldTests
{
    private static string ReadBackScalar(string yamlScalar)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader("k: " + yamlScalar + "\n"));
        return ((YamlScalarNode)((YamlMappingNode)stream.Documents[0].RootNode).Children[new YamlScalarNode("k")]).Value!;
    }

    [Theory]
    [InlineData("plain")]
    [InlineData("/tmp/we\"ird\\name")]
    [InlineData("tab\there\nnewline\rcr")]
    [InlineData("bell\u0007 del\u007f c1\u0085 ls\u2028 ps\u2029 bom\ufeff nul\0")]
    [InlineData("unicode é 日本 🙂")]
    [InlineData("# not a comment: [x] {y} *z &a !t %p @q `b'")]
    public void Double_quoted_scalars_read_back_exactly(string value)
    {
        var q = YamlQuoting.DoubleQuoted(value);
        Assert.Equal(value, ReadBackScalar(q));
        Assert.Equal(value, System.Text.Json.JsonSerializer.Deserialize<string>(q)); // JSON syntax too
    }

    [Fact]
    public void Random_strings_read_back_exactly()
    {
        var rng = new Random(12);
        for (int n = 0; n < 300; n++)
        {
            var chars = new char[rng.Next(0, 20)];
            for (int i = 0; i < chars.Length; i++)
                chars[i] = rng.Next(4) switch { 0 => (char)rng.Next(0, 0x20), 1 => "\"\\'#:{}[]"[rng.Next(9)], 2 => (char)rng.Next(0x7f, 0xa0), _ => (char)rng.Next(0x20, 0x7f) };
            var s = new string(chars);
            Assert.Equal(s, ReadBackScalar(YamlQuoting.DoubleQuoted(s)));
        }
    }

    [Theory]
    [InlineData("smollm2-135m", "smollm2-135m")]
    [InlineData("hf:HuggingFaceTB/SmolLM2-135M-Instruct", "hf:HuggingFaceTB/SmolLM2-135M-Instruct")]
    [InlineData("./models/base", "./models/base")]
    [InlineData("true", "\"true\"")]
    [InlineData("1.5", "\"1.5\"")]
    [InlineData("a: b", "\"a: b\"")]
    [InlineData("-x", "\"-x\"")]
    public void Base_model_is_written_verbatim_when_yaml_reads_it_back_so(string value, string written)
    {
        Assert.Equal(written, YamlQuoting.PlainOrQuoted(value));
        Assert.Equal(value, ReadBackScalar(written));
    }

    [Fact]
    public void The_rendered_scaffold_parses_back_to_the_same_source()
    {
        var text = ScaffoldText.Render("01JD8X2Y3Z4A5B6C7D8E9F0G1H", "smollm2-135m", SourcesPolicy.Strict, "/p/a\"b\\c",
            ["**/*.md", "{a,b}/*"], ["x\ty"]);
        var doc = DlmDocumentReader.ParseText(text, "t.dlm");
        var src = Assert.Single(doc.Frontmatter.Training.Sources!);
        Assert.Equal("/p/a\"b\\c", src.Path);
        Assert.Equal(["**/*.md", "{a,b}/*"], src.Include);
        Assert.Equal(["x\ty"], src.Exclude);
        Assert.Equal(SourcesPolicy.Strict, doc.Frontmatter.Training.SourcesPolicy);
        Assert.Equal(15, doc.Frontmatter.WrittenVersion);
        Assert.Equal(ScaffoldText.BodyLine, Assert.Single(doc.Sections).Content.Trim());
    }

    [Fact]
    public void Locate_finds_without_writing()
    {
        using var t = new TempTree();
        t.Dir("p");
        var e = Assert.Throws<DlmException>(() => Scaffolder.Locate(t.P("p")));
        Assert.StartsWith("scaffold: no corpus.dlm under", e.Message);
        Assert.False(Directory.Exists(t.P("p/.dlm")));
        var written = Scaffolder.Resolve(new ScaffoldRequest(t.P("p"), "b", [], [], Name: "notes"));
        Assert.True(written.Written);
        Assert.Equal(written.DocumentPath, Scaffolder.Locate(t.P("p")));
        Assert.Equal(written.DocumentPath, Scaffolder.Locate(t.P("p"), "notes"));
        Assert.Throws<UsageException>(() => Scaffolder.Locate(t.P("p"), "../x"));
    }
}
