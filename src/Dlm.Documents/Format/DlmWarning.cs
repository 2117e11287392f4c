using Dlm.Core;

namespace Dlm.Documents.Format;

/// <summary>
/// Something the reader accepted but the user should know: mostly a key or section dlm
/// parses but does not act on yet (never silently honoured, never silently ignored).
/// </summary>
/// <param name="Location">Where it is written.</param>
/// <param name="Message">What it means, one line.</param>
public sealed record DlmWarning(SourceLocation Location, string Message)
{
    /// <summary>Formats as <c>path:line:col: warning: message</c>.</summary>
    public override string ToString() => $"{Location}: warning: {Message}";
}
