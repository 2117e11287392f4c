using Dlm.Core;
using Dlm.Documents.Ids;

namespace Dlm.Documents.Format;

/// <summary>A starter document kind for <c>dlm init</c>.</summary>
/// <param name="Name">What <c>--template</c> takes.</param>
/// <param name="Description">One line for <c>--help</c>.</param>
/// <param name="Frontmatter">Extra frontmatter lines after <c>base_model</c> (each ending in a newline).</param>
/// <param name="Body">The body after the blank line that follows <c>---</c>; <c>{title}</c> is replaced by the file's stem.</param>
public sealed record StarterTemplate(string Name, string Description, string Frontmatter, string Body);

/// <summary>
/// The starter documents <c>dlm init</c> writes: frontmatter at the current schema version with
/// a fresh ULID, then a prose section and an instruction example (every template parses).
/// </summary>
public static class StarterTemplates
{
    /// <summary>The template used without <c>--template</c>.</summary>
    public const string DefaultName = "default";

    /// <summary>Every template, the default first.</summary>
    public static readonly IReadOnlyList<StarterTemplate> All =
    [
        new(DefaultName, "a prose section and one Q/A example", "",
            """
            # {title}

            Write what the model should learn here. Prose like this paragraph is trained on
            every token, so facts, style and vocabulary written here are what the adapter absorbs.

            ::instruction::
            ### Q
            What is this document for?

            ### A
            It teaches a small language model the facts and the style written in it.

            """),
        new("notes", "notes to learn from: headed prose paragraphs, one Q/A check", "",
            """
            # {title}

            ## Background

            Notes in plain prose. Each paragraph is training text; headings and lists are fine.

            ## Details

            - One fact per bullet keeps notes easy to extend.
            - Code blocks are kept verbatim:

            ```
            ::this-is-not-a-fence::
            ```

            ::instruction::
            ### Q
            Summarise these notes in one sentence.

            ### A
            They hold background and details about {title}, written as prose.

            """),
        new("qa", "question-and-answer training with a system prompt", "system_prompt: You answer briefly and precisely.\n",
            """
            Questions and answers below teach the model to reply in this document's voice;
            this paragraph is prose and trained as plain text.

            ::instruction::
            ### Q
            What does this assistant do?

            ### A
            It answers questions about {title}, briefly and precisely.

            ### Q
            How do I add more examples?

            ### A
            Add a `### Q` line, the question, a `### A` line and the answer under this fence.

            """),
    ];

    /// <summary>The template called <paramref name="name"/>.</summary>
    /// <exception cref="UsageException">No such template; the message lists the valid names.</exception>
    public static StarterTemplate Get(string name) =>
        All.FirstOrDefault(t => t.Name == name)
        ?? throw new UsageException($"unknown template '{name}'; choose one of {string.Join(", ", All.Select(t => t.Name))}");

    /// <summary>The starter text for a document at <paramref name="path"/> on <paramref name="baseModel"/>, with <paramref name="dlmId"/>.</summary>
    public static string Render(StarterTemplate template, string path, string baseModel, string dlmId)
    {
        ArgumentNullException.ThrowIfNull(template);
        var title = Path.GetFileNameWithoutExtension(path);
        if (string.IsNullOrWhiteSpace(title)) title = "My document";
        return "---\n" +
               $"dlm_id: {dlmId}\n" +
               $"dlm_version: {DlmSchema.CurrentVersion}\n" +
               $"base_model: {YamlText.Scalar(baseModel)}\n" +
               template.Frontmatter +
               "---\n\n" +
               template.Body.Replace("{title}", title, StringComparison.Ordinal);
    }

    /// <summary>
    /// Writes a new starter document at <paramref name="path"/> atomically and returns it parsed.
    /// Refuses to replace anything that exists there.
    /// </summary>
    /// <exception cref="DlmException">The path exists, or the base model is empty.</exception>
    public static DlmDocument Create(string path, string baseModel, string templateName = DefaultName)
    {
        ArgumentNullException.ThrowIfNull(path);
        var template = Get(templateName);
        if (string.IsNullOrWhiteSpace(baseModel)) throw new UsageException("--base must name a base model (a registry key, hf:org/name, or a path)");
        if (File.Exists(path) || Directory.Exists(path)) throw new DlmException($"{path} already exists; dlm init never overwrites (pick another path)");
        var text = Render(template, path, baseModel, DocumentIds.New());
        // Parse before writing: a template that does not read back is a bug, never a file on disk.
        var doc = DlmDocumentReader.ParseText(text, path);
        AtomicFile.WriteAllText(path, text);
        return doc;
    }
}
