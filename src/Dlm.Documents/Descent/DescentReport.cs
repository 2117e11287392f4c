using System.Text.Json;
using System.Text.Json.Nodes;

namespace Dlm.Documents.Descent;

/// <summary>A file the walk keeps: it becomes one prose section.</summary>
/// <param name="RelativePath">POSIX, relative to its directive's root (a single-file directive: the file name).</param>
/// <param name="FullPath">The path walked (a symlink stays a symlink here; its target was read).</param>
/// <param name="Utf8">The file's bytes as read, checked to be valid UTF-8 (the text is decoded on demand, see <see cref="Text"/>).</param>
/// <param name="Metadata">Tags from the <c>training.yaml</c> files above it (deeper wins key by key).</param>
/// <param name="Weight">Sampling weight from the nearest <c>training.yaml</c> <c>weights</c> glob that matches; 1 otherwise.</param>
public sealed record KeptFile(
    string RelativePath,
    string FullPath,
    ReadOnlyMemory<byte> Utf8,
    IReadOnlyDictionary<string, string> Metadata,
    double Weight)
{
    /// <summary>
    /// The file's text: UTF-8 decoded, a leading BOM dropped, CRLF and lone CR as LF. Decoded on
    /// each call (the walk keeps bytes, half the memory of a string, and most callers never decode).
    /// </summary>
    public string Text
    {
        get
        {
            var text = System.Text.Encoding.UTF8.GetString(Utf8.Span);
            if (text.Length > 0 && text[0] == '\uFEFF') text = text[1..];
            return text.Contains('\r', StringComparison.Ordinal)
                ? text.Replace("\r\n", "\n", StringComparison.Ordinal).Replace('\r', '\n')
                : text;
        }
    }

    /// <summary>The prose this file contributes: <c># source: &lt;relative path&gt;\n\n&lt;text&gt;</c>.</summary>
    public string Prose => $"# source: {RelativePath}\n\n{Text}";
}

/// <summary>A file the walk met and did not keep.</summary>
/// <param name="RelativePath">POSIX, relative to its directive's root.</param>
/// <param name="FullPath">The path walked.</param>
/// <param name="Reason">The first reason that applied.</param>
public sealed record SkippedFile(string RelativePath, string FullPath, SkipReason Reason);

/// <summary>
/// What a document's <c>training.sources</c> yield: every file the walk met, once, in walk order,
/// either kept or skipped with its reason, plus warnings (permissive escapes, skipped
/// <c>training.yaml</c> files, invalid UTF-8).
/// </summary>
public sealed class DescentReport
{
    internal DescentReport(List<KeptFile> kept, List<SkippedFile> skipped, List<string> warnings, List<string> walked)
    {
        Kept = kept;
        Skipped = skipped;
        Warnings = warnings;
        WalkOrder = walked;
    }

    /// <summary>Kept files in walk order.</summary>
    public IReadOnlyList<KeptFile> Kept { get; }

    /// <summary>Skipped files in walk order.</summary>
    public IReadOnlyList<SkippedFile> Skipped { get; }

    /// <summary>One line each, for stderr (<c>warning:</c> is left to the printer).</summary>
    public IReadOnlyList<string> Warnings { get; }

    /// <summary>Every relative path met, kept or not, in walk order.</summary>
    public IReadOnlyList<string> WalkOrder { get; }

    /// <summary>How many files were skipped for each reason (every reason present, zero included), in check order.</summary>
    public IReadOnlyList<(SkipReason Reason, int Count)> SkippedByReason =>
        [.. SkipReasons.InOrder.Select(r => (r, Skipped.Count(s => s.Reason == r)))];

    /// <summary>The contract's <c>descent</c> object: <c>{"kept": [rel...], "skipped": [{"path", "reason"}...]}</c>.</summary>
    public JsonObject ToJson()
    {
        var kept = new JsonArray();
        foreach (var k in Kept) kept.Add((JsonNode?)JsonValue.Create(k.RelativePath));
        var skipped = new JsonArray();
        foreach (var s in Skipped)
            skipped.Add((JsonNode?)new JsonObject { ["path"] = s.RelativePath, ["reason"] = s.Reason.Name() });
        return new JsonObject { ["kept"] = kept, ["skipped"] = skipped };
    }

    /// <summary>The contract's <c>descent</c> value when a directive fails: <c>{"error": "&lt;one line&gt;"}</c>.</summary>
    public static JsonObject ErrorJson(string message) => new() { ["error"] = message };

    /// <summary><see cref="ToJson"/> as compact text.</summary>
    public override string ToString() => ToJson().ToJsonString(new JsonSerializerOptions { WriteIndented = false });
}
