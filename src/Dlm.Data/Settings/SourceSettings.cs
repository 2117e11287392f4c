using Dlm.Core;

namespace Dlm.Data.Settings;

/// <summary>One named source of the settings file (<c>data.sources.NAME</c>).</summary>
/// <param name="Name">The source name: the cache folder name and the key used in the mixes.</param>
/// <param name="Kind">How its files are read.</param>
/// <param name="Path">The absolute path of its file or folder (relative paths resolve against the settings file).</param>
/// <param name="Options">Kind-specific options, validated and typed (<see cref="SourceOptions"/>).</param>
/// <param name="Where">Where the source is declared, for error messages.</param>
public sealed record SourceSettings(string Name, SourceKind Kind, string Path, SourceOptions Options, SourceLocation Where);

/// <summary>
/// The options a source may carry. Which apply depends on the kind (<see cref="SettingsLoader"/>
/// refuses the others, naming the key).
/// </summary>
public sealed record SourceOptions
{
    /// <summary><c>val_path</c>: a separate validation file or folder (wikitext's <c>wiki.valid.raw</c>, ...).</summary>
    public string? ValPath { get; init; }

    /// <summary><c>val_tokens</c>: with no <c>val_path</c> and no <c>val_frac</c>, the first this many tokens go to val.</summary>
    public long ValTokens { get; init; } = 5_000_000;

    /// <summary><c>train_tokens</c>: stop after this many train tokens (null: the whole source).</summary>
    public long? TrainTokens { get; init; }

    /// <summary><c>val_frac</c>: the fraction of documents (folder kinds) or examples (SFT kinds) that go to val, by a seeded permutation.</summary>
    public double? ValFrac { get; init; }

    /// <summary><c>shuffle_buffer</c>: documents held in the seeded reservoir shuffle (0: no shuffle).</summary>
    public int ShuffleBuffer { get; init; }

    /// <summary><c>glob</c>: which files of a folder are read (text_dir: <c>*.md</c>, gutenberg: <c>*.txt</c>), searched recursively.</summary>
    public string? Glob { get; init; }

    /// <summary><c>text_field</c>: the JSONL field or Parquet column holding the text (default: the first of text, content, document).</summary>
    public string? TextField { get; init; }

    /// <summary><c>unit</c>: wikitext documents are <c>article</c> (default) or <c>line</c> (every non-blank line, as niels-gpt did).</summary>
    public string Unit { get; init; } = "article";

    /// <summary><c>lang</c>: oasst1 keeps messages of this language only (default <c>en</c>).</summary>
    public string Lang { get; init; } = "en";

    /// <summary><c>max_messages</c>: oasst1 threads stop at this many messages (default 32).</summary>
    public int MaxMessages { get; init; } = 32;

    /// <summary><c>dataset_name</c>: written to meta.json (default: the source name).</summary>
    public string? DatasetName { get; init; }

    /// <summary><c>dataset_config</c>: written to meta.json (default null).</summary>
    public string? DatasetConfig { get; init; }
}
