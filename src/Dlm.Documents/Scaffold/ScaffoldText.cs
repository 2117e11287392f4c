using System.Text;
using Dlm.Documents.Descent;
using Dlm.Documents.Format;

namespace Dlm.Documents.Scaffold;

/// <summary>The exact text of a scaffolded document (shared/contracts/documents-cli.md).</summary>
public static class ScaffoldText
{
    /// <summary>The body line every scaffold ends with.</summary>
    public const string BodyLine = "# Auto-scaffolded by `dlm train`. Edit the frontmatter above to refine training.";

    /// <summary>
    /// The include globs for the request: the given ones verbatim, else <c>**/*</c> when recursive
    /// and <c>*</c> when not.
    /// </summary>
    public static IReadOnlyList<string> IncludeFor(IReadOnlyList<string> include, bool recursive) =>
        include.Count > 0 ? include : [recursive ? "**/*" : "*"];

    /// <summary>
    /// The document: UTF-8, LF, one final newline; <c>exclude:</c> only when there are excludes;
    /// <paramref name="sourcePath"/> and globs as YAML double-quoted scalars.
    /// </summary>
    public static string Render(string dlmId, string baseModel, SourcesPolicy policy, string sourcePath,
        IReadOnlyList<string> include, IReadOnlyList<string> exclude)
    {
        ArgumentNullException.ThrowIfNull(include);
        ArgumentNullException.ThrowIfNull(exclude);
        var sb = new StringBuilder();
        sb.Append("---\n");
        sb.Append("dlm_id: ").Append(dlmId).Append('\n');
        sb.Append("dlm_version: ").Append(DlmSchema.CurrentVersion).Append('\n');
        sb.Append("base_model: ").Append(YamlQuoting.PlainOrQuoted(baseModel)).Append('\n');
        sb.Append("training:\n");
        sb.Append("  sources_policy: ").Append(policy == SourcesPolicy.Strict ? "strict" : "permissive").Append('\n');
        sb.Append("  sources:\n");
        sb.Append("    - path: ").Append(YamlQuoting.DoubleQuoted(sourcePath)).Append('\n');
        sb.Append("      include:\n");
        foreach (var g in include) sb.Append("        - ").Append(YamlQuoting.DoubleQuoted(g)).Append('\n');
        if (exclude.Count > 0)
        {
            sb.Append("      exclude:\n");
            foreach (var g in exclude) sb.Append("        - ").Append(YamlQuoting.DoubleQuoted(g)).Append('\n');
        }
        sb.Append("---\n\n");
        sb.Append(BodyLine).Append('\n');
        return sb.ToString();
    }
}
