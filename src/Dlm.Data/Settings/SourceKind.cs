namespace Dlm.Data.Settings;

/// <summary>What a source's files hold, and so how they become documents or conversations.</summary>
public enum SourceKind
{
    /// <summary><c>text_dir</c>: a folder of plain-text files (Markdown notes, the <c>roam</c> source), one document per file.</summary>
    TextDir,
    /// <summary><c>lines</c>: a text file (or folder of them), one document per non-blank line.</summary>
    Lines,
    /// <summary><c>wikitext</c>: WikiText raw files (<c>wiki.train.raw</c>), articles split at <c> = Title = </c> headings.</summary>
    WikiText,
    /// <summary><c>gutenberg</c>: Project Gutenberg plain-text books, licence header and footer stripped.</summary>
    Gutenberg,
    /// <summary><c>brown</c>: the Brown corpus (<c>word/tag</c> files), tags stripped, one document per corpus file.</summary>
    Brown,
    /// <summary><c>jsonl</c>: JSON lines with a text field.</summary>
    Jsonl,
    /// <summary><c>parquet</c>: Parquet files with a text column (Hugging Face dataset repos).</summary>
    Parquet,
    /// <summary><c>dolly</c>: databricks-dolly-15k JSONL (instruction, context, response).</summary>
    Dolly,
    /// <summary><c>oasst1</c>: OpenAssistant oasst1 messages (JSONL or Parquet, flat or as trees), one thread per root-to-leaf path.</summary>
    Oasst1,
    /// <summary><c>conversations</c>: JSONL of <c>{"messages": [...]}</c>.</summary>
    Conversations,
    /// <summary><c>primer</c>: the hand-written primer dialogues, <c>primer.jsonl</c> or <c>primer.txt</c>.</summary>
    Primer,
}

/// <summary>The settings-file names of <see cref="SourceKind"/> and which side (pretrain or SFT) each feeds.</summary>
public static class SourceKinds
{
    private static readonly (SourceKind Kind, string Name, bool Sft)[] Table =
    [
        (SourceKind.TextDir, "text_dir", false),
        (SourceKind.Lines, "lines", false),
        (SourceKind.WikiText, "wikitext", false),
        (SourceKind.Gutenberg, "gutenberg", false),
        (SourceKind.Brown, "brown", false),
        (SourceKind.Jsonl, "jsonl", false),
        (SourceKind.Parquet, "parquet", false),
        (SourceKind.Dolly, "dolly", true),
        (SourceKind.Oasst1, "oasst1", true),
        (SourceKind.Conversations, "conversations", true),
        (SourceKind.Primer, "primer", true),
    ];

    /// <summary>Every kind name, in declaration order.</summary>
    public static IReadOnlyList<string> Names { get; } = Table.Select(t => t.Name).ToArray();

    /// <summary>The settings-file name of a kind.</summary>
    public static string ToName(this SourceKind kind) => Table.First(t => t.Kind == kind).Name;

    /// <summary>True for kinds that give conversations (SFT caches), false for documents (pretrain caches).</summary>
    public static bool IsSft(this SourceKind kind) => Table.First(t => t.Kind == kind).Sft;

    /// <summary>Parses a kind name; false when unknown.</summary>
    public static bool TryParse(string name, out SourceKind kind)
    {
        foreach (var t in Table)
            if (t.Name == name) { kind = t.Kind; return true; }
        kind = default;
        return false;
    }
}
