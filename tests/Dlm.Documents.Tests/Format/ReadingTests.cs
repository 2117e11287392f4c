using System.Text;
using Dlm.Core;
using Dlm.Documents.Format;

namespace Dlm.Documents.Tests.Format;

public class ReadingTests
{
    private static readonly string Plain = Docs.Front() + "\nHello.\n\n::instruction::\n### Q\nWhy?\n### A\nBecause.\n";

    private static DlmDocument FromBytes(byte[] bytes) => DlmDocumentReader.Parse(bytes, "doc.dlm");

    [Fact]
    public void A_leading_bom_is_dropped_and_ids_do_not_change()
    {
        var plain = FromBytes(Encoding.UTF8.GetBytes(Plain));
        var bom = FromBytes([0xEF, 0xBB, 0xBF, .. Encoding.UTF8.GetBytes(Plain)]);
        Assert.Equal(plain.Sections.Select(s => s.Id), bom.Sections.Select(s => s.Id));
        Assert.Equal(plain.Text, bom.Text);
    }

    [Fact]
    public void Only_one_bom_is_dropped()
    {
        // A second BOM is text: line 1 is then "\uFEFF---", not the opening delimiter.
        var e = Assert.Throws<DlmException>(() => FromBytes([0xEF, 0xBB, 0xBF, 0xEF, 0xBB, 0xBF, .. Encoding.UTF8.GetBytes(Plain)]));
        Assert.StartsWith("doc.dlm:1:1: expected '---'", e.Message);
    }

    [Theory]
    [InlineData("\r\n")]
    [InlineData("\r")]
    public void Crlf_and_lone_cr_read_as_lf_with_the_same_sections_and_ids(string newline)
    {
        var plain = FromBytes(Encoding.UTF8.GetBytes(Plain));
        var other = FromBytes(Encoding.UTF8.GetBytes(Plain.Replace("\n", newline)));
        Assert.Equal(plain.Text, other.Text);
        Assert.Equal(plain.Sections.Select(s => (s.Id, s.StartLine)), other.Sections.Select(s => (s.Id, s.StartLine)));
    }

    [Fact]
    public void Cr_cr_lf_is_two_line_breaks()
    {
        Assert.Equal("a\n\nb", DlmText.Normalize("a\r\r\nb"));
        Assert.Equal("a\n\nb\n", DlmText.Normalize("a\r\n\rb\r"));
    }

    [Fact]
    public void An_invalid_utf8_byte_is_reported_with_its_offset_line_and_column()
    {
        var head = Encoding.UTF8.GetBytes(Docs.Front() + "ok line\nab");
        byte[] bytes = [.. head, 0xFF, .. "c\n"u8.ToArray()];
        var e = Assert.Throws<DlmException>(() => FromBytes(bytes));
        Assert.Equal($"doc.dlm:7:3: invalid UTF-8: byte 0xFF at byte offset {head.Length}", e.Message);
    }

    [Fact]
    public void The_offset_counts_the_bom()
    {
        byte[] bytes = [0xEF, 0xBB, 0xBF, (byte)'-', 0xC3, 0x28];
        var e = Assert.Throws<DlmException>(() => FromBytes(bytes));
        Assert.Equal("doc.dlm:1:5: invalid UTF-8: byte 0xC3 at byte offset 4", e.Message);
    }

    [Fact]
    public void A_truncated_sequence_at_the_end_is_reported()
    {
        byte[] bytes = [.. Encoding.UTF8.GetBytes(Plain), 0xE2, 0x82];
        var e = Assert.Throws<DlmException>(() => FromBytes(bytes));
        Assert.Contains($"at byte offset {Encoding.UTF8.GetByteCount(Plain)}", e.Message);
    }

    [Fact]
    public void Surrogates_encoded_as_utf8_are_invalid()
    {
        byte[] bytes = [.. Encoding.UTF8.GetBytes(Plain), 0xED, 0xA0, 0x80];
        Assert.Throws<DlmException>(() => FromBytes(bytes));
    }

    [Theory]
    [InlineData("")]
    [InlineData("dlm_id: x\n---\n")]
    [InlineData(" ---\ndlm_id: x\n---\n")]
    [InlineData("--- \ndlm_id: x\n---\n")]
    public void Line_one_must_be_exactly_three_dashes(string text)
    {
        var e = Docs.Fails(text);
        Assert.StartsWith("doc.dlm:1:1: expected '---' on line 1", e.Message);
    }

    [Fact]
    public void A_missing_closing_delimiter_is_an_error_at_1_1()
    {
        var e = Docs.Fails($"---\ndlm_id: {Docs.Id}\nbase_model: x\n--- \nbody\n");
        Assert.Equal("doc.dlm:1:1: no closing '---' line for the frontmatter opened here", e.Message);
    }

    [Fact]
    public void The_first_later_dashes_line_closes_the_frontmatter()
    {
        var d = Docs.Parse(Docs.Front() + "text\n---\nmore\n");
        Assert.Equal("text\n---\nmore", Assert.Single(d.Sections).Content);
    }

    [Fact]
    public void ReadFile_reports_a_missing_file_as_a_user_error()
    {
        var e = Assert.Throws<DlmException>(() => DlmDocumentReader.ReadFile("/nonexistent/x.dlm"));
        Assert.Equal("/nonexistent/x.dlm: no such file", e.Message);
    }

    [Fact]
    public void ReadFile_keeps_the_exact_bytes()
    {
        var path = Path.Combine(Path.GetTempPath(), $"dlm-read-{Guid.NewGuid():N}.dlm");
        byte[] bytes = [0xEF, 0xBB, 0xBF, .. Encoding.UTF8.GetBytes(Plain.Replace("\n", "\r\n"))];
        File.WriteAllBytes(path, bytes);
        try
        {
            var d = DlmDocumentReader.ReadFile(path);
            Assert.Equal(bytes, d.SourceBytes.ToArray());
            Assert.Equal(path, d.Path);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
