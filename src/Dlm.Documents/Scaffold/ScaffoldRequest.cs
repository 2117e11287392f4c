using Dlm.Documents.Descent;

namespace Dlm.Documents.Scaffold;

/// <summary>What <c>dlm train &lt;target&gt;</c> was asked (R2 "auto-scaffold").</summary>
/// <param name="Target">The target exactly as the user typed it (messages print it so).</param>
/// <param name="Base"><c>--base</c>, or null.</param>
/// <param name="Include"><c>--include</c> globs in order (empty: the recursion flag decides).</param>
/// <param name="Exclude"><c>--exclude</c> globs in order.</param>
/// <param name="Recursive">False for <c>--no-recursive</c>.</param>
/// <param name="Name"><c>--name</c>: the document's file stem under <c>T/.dlm/</c>.</param>
/// <param name="Policy"><c>--policy</c>.</param>
/// <param name="Rescaffold"><c>--rescaffold</c>: rewrite the document, keeping its <c>dlm_id</c>.</param>
/// <param name="ExplicitFlags">The scaffold flags the user actually passed (<c>--base</c>, <c>--policy</c>, ...), to warn that reuse ignores them.</param>
public sealed record ScaffoldRequest(
    string Target,
    string? Base,
    IReadOnlyList<string> Include,
    IReadOnlyList<string> Exclude,
    bool Recursive = true,
    string Name = ScaffoldRequest.DefaultName,
    SourcesPolicy Policy = SourcesPolicy.Strict,
    bool Rescaffold = false,
    IReadOnlyList<string>? ExplicitFlags = null)
{
    /// <summary>The default document stem.</summary>
    public const string DefaultName = "corpus";
}

/// <summary>Which document <c>dlm train</c> goes on with.</summary>
/// <param name="DocumentPath">As printed: <c>T/.dlm/&lt;name&gt;.dlm</c> (or the <c>.dlm</c> target as given).</param>
/// <param name="DlmId">The document's id (for a reused document: as read by the caller; the scaffold's own otherwise).</param>
/// <param name="Written">True when this call wrote the file (a scaffold or a rescaffold).</param>
/// <param name="Warnings">One line each (without <c>warning:</c>).</param>
public sealed record ScaffoldResult(string DocumentPath, string? DlmId, bool Written, IReadOnlyList<string> Warnings);
