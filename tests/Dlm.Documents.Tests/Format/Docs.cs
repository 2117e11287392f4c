using Dlm.Core;
using Dlm.Documents.Format;

namespace Dlm.Documents.Tests.Format;

/// <summary>Small helpers to build and parse documents in tests.</summary>
internal static class Docs
{
    public const string Id = "01KPQ9X1000000000000000000";

    public static string Front(string extra = "", int? version = 15) =>
        "---\n" + $"dlm_id: {Id}\n" + (version is null ? "" : $"dlm_version: {version}\n") + "base_model: smollm2-135m\n" + extra + "---\n";

    public static DlmDocument Parse(string text, string path = "doc.dlm") => DlmDocumentReader.ParseText(text, path);

    public static DlmDocument Body(string body) => Parse(Front() + body);

    public static DlmException Fails(string text, string path = "doc.dlm") =>
        Assert.Throws<DlmException>(() => DlmDocumentReader.ParseText(text, path));
}
