using Dlm.Core;
using Dlm.Documents.Format;

namespace Dlm.Documents.Tests.Format;

/// <summary>Bad input is a user error, never a crash: mutated documents either parse or throw <see cref="DlmException"/>.</summary>
public class RobustnessTests
{
    private static readonly byte[] Noise = "\n\r:-`\"'[]{}#&*!|>%@,?\t \0~"u8.ToArray().Concat(new byte[] { 0xFF, 0xC3, 0xE2 }).ToArray();

    [Fact]
    public void Property_mutated_documents_parse_or_fail_with_a_located_user_error()
    {
        var failures = 0;
        for (var seed = 0; seed < 600; seed++)
        {
            var bytes = new DocumentGenerator(seed).NextBytes(out _).ToList();
            var r = new Random(seed);
            for (var n = r.Next(1, 6); n > 0 && bytes.Count > 0; n--)
            {
                var at = r.Next(bytes.Count);
                switch (r.Next(3))
                {
                    case 0: bytes.RemoveAt(at); break;
                    case 1: bytes.Insert(at, Noise[r.Next(Noise.Length)]); break;
                    default: bytes[at] = Noise[r.Next(Noise.Length)]; break;
                }
            }
            try
            {
                var doc = DlmDocumentReader.Parse([.. bytes], "m.dlm");
                // Whatever parses also formats and re-parses to the same sections.
                var again = DlmDocumentReader.ParseText(DlmDocumentWriter.Canonical(doc), "m.dlm");
                Assert.Equal(doc.Sections.Select(s => s.Id), again.Sections.Select(s => s.Id));
            }
            catch (DlmException e)
            {
                failures++;
                Assert.StartsWith("m.dlm:", e.Message);
                Assert.DoesNotContain('\n', e.Message);
            }
        }
        Assert.InRange(failures, 50, 590); // the mutations do break documents, and not all of them
    }
}
