using System.Text;
using Dlm.Documents.Format;

namespace Dlm.Documents.Tests.Format;

public class WriterTests
{
    private const int Cases = 400;

    private static object Shape(Section s) =>
        (s.Type, s.Content, s.Adapter, s.Id, s.Marker?.Line, string.Join(';', s.Attributes.Select(kv => $"{kv.Key}={kv.Value}")),
            string.Join('|', s.Pairs.Select(p => p.Question + "\u0001" + p.Answer)), s.Triples.Count);

    [Fact]
    public void Property_an_unmodified_document_serializes_to_its_exact_bytes()
    {
        for (var seed = 0; seed < Cases; seed++)
        {
            var bytes = new DocumentGenerator(seed).NextBytes(out _);
            var doc = DlmDocumentReader.Parse(bytes, $"case{seed}.dlm");
            Assert.True(bytes.AsSpan().SequenceEqual(DlmDocumentWriter.Serialize(doc)), $"seed {seed}");
        }
    }

    [Fact]
    public void Property_the_canonical_form_reparses_to_the_same_document_and_is_a_fixed_point()
    {
        var notCanonical = 0;
        for (var seed = 0; seed < Cases; seed++)
        {
            var bytes = new DocumentGenerator(seed).NextBytes(out _);
            var doc = DlmDocumentReader.Parse(bytes, $"case{seed}.dlm");
            var canonical = DlmDocumentWriter.Canonical(doc);
            var again = DlmDocumentReader.ParseText(canonical, $"case{seed}.dlm");
            Assert.True(doc.Sections.Select(Shape).SequenceEqual(again.Sections.Select(Shape)), $"seed {seed}: sections differ\n{canonical}");
            Assert.Equal(DocumentJson.Frontmatter(doc.Frontmatter).ToJsonString(), DocumentJson.Frontmatter(again.Frontmatter).ToJsonString());
            Assert.Equal(doc.Warnings.Select(w => w.Message), again.Warnings.Select(w => w.Message));
            Assert.Equal(canonical, DlmDocumentWriter.Canonical(again));
            Assert.True(DlmDocumentWriter.IsCanonical(again), $"seed {seed}");
            if (!DlmDocumentWriter.IsCanonical(doc)) notCanonical++;
        }
        Assert.InRange(notCanonical, Cases / 2, Cases); // the generator does produce non-canonical spellings
    }

    [Fact]
    public void Canonical_form_of_a_hand_written_document()
    {
        var text = "\uFEFF---\r\nbase_model: smollm2-135m\r\ndlm_id: " + Docs.Id + "\r\ntraining:\r\n  seed: 7\r\n  lora_r: '16'\r\n  dpo:\r\n    beta: 0.2\r\n" +
                   "  target_modules: [q_proj]\r\n# comment\r\n---\r\n::prose::\r\nIntro.\r\n\r\n::instruction#tone::\r\n### Q\r\nq\r\n### A\r\na\r\n";
        var doc = DlmDocumentReader.Parse(Encoding.UTF8.GetBytes(text), "doc.dlm");
        Assert.Equal(
            "---\n" +
            $"dlm_id: {Docs.Id}\n" +
            "dlm_version: 15\n" +
            "base_model: smollm2-135m\n" +
            "training:\n" +
            "  lora_r: 16\n" +
            "  target_modules:\n" +
            "    - q_proj\n" +
            "  seed: 7\n" +
            "  preference:\n" +
            "    method: dpo\n" +
            "    hyperparams:\n" +
            "      beta: 0.2\n" +
            "---\n" +
            "\n" +
            "Intro.\n" +
            "\n" +
            "::instruction#tone::\n" +
            "### Q\n" +
            "q\n" +
            "### A\n" +
            "a\n",
            DlmDocumentWriter.Canonical(doc));
    }

    [Fact]
    public void The_scaffold_layout_is_already_canonical()
    {
        var text = "---\n" +
                   $"dlm_id: {Docs.Id}\n" +
                   "dlm_version: 15\n" +
                   "base_model: hf:org/name\n" +
                   "training:\n" +
                   "  sources_policy: strict\n" +
                   "  sources:\n" +
                   "    - path: \"/home/me/my \\\"repo\\\"\"\n" +
                   "      include:\n" +
                   "        - \"**/*\"\n" +
                   "      exclude:\n" +
                   "        - \"*.log\"\n" +
                   "---\n" +
                   "\n" +
                   "# Auto-scaffolded by `dlm train`. Edit the frontmatter above to refine training.\n";
        var doc = Docs.Parse(text);
        Assert.Equal("/home/me/my \"repo\"", doc.Frontmatter.Training.Sources![0].Path);
        Assert.Equal(text, DlmDocumentWriter.Canonical(doc));
        Assert.True(DlmDocumentWriter.IsCanonical(doc));
    }

    [Theory]
    [InlineData("plain", "plain")]
    [InlineData("hf:org/name", "hf:org/name")]
    [InlineData("yes", "\"yes\"")]
    [InlineData("123", "\"123\"")]
    [InlineData("1.5", "\"1.5\"")]
    [InlineData("a: b", "\"a: b\"")]
    [InlineData("with space", "\"with space\"")]
    [InlineData("quote\"back\\slash", "\"quote\\\"back\\\\slash\"")]
    [InlineData("line\nbreak", "\"line\\nbreak\"")]
    [InlineData("~", "\"~\"")]
    [InlineData("", "\"\"")]
    [InlineData("héllo", "\"héllo\"")]
    public void Scalars_are_quoted_only_when_needed(string value, string yaml) => Assert.Equal(yaml, YamlText.Scalar(value));

    [Fact]
    public void Quoted_scalars_read_back_exactly()
    {
        foreach (var s in new[] { "a\"b", "c:\\dir\\x", "tab\there", "bell\u0007", "ünï", "new\nline", "#hash", "- dash" })
        {
            var doc = Docs.Parse("---\n" + $"dlm_id: {Docs.Id}\nbase_model: {YamlText.Quoted(s)}\nsystem_prompt: {YamlText.Scalar(s)}\n---\n");
            Assert.Equal(s, doc.Frontmatter.BaseModel);
            Assert.Equal(s, doc.Frontmatter.SystemPrompt);
        }
    }
}
