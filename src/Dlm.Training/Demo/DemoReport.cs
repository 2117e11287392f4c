using Dlm.Training.FromScratch;

namespace Dlm.Training.Demo;

/// <summary>One sampled reply of the fine-tuned model.</summary>
/// <param name="Prompt">The user message.</param>
/// <param name="Reply">The model's reply, decoded without special tokens.</param>
/// <param name="Tokens">Tokens in the reply.</param>
/// <param name="Finished">True when the reply ended with the end-of-turn token (false: cut at the length limit).</param>
public sealed record DemoSample(string Prompt, string Reply, int Tokens, bool Finished);

/// <summary>What <see cref="DemoRun.Run"/> made and where it went.</summary>
public sealed record DemoReport
{
    /// <summary>The output folder.</summary>
    public required string OutDir { get; init; }

    /// <summary>The corpus used.</summary>
    public required CorpusLocation Corpus { get; init; }

    /// <summary>The tokenizer folder (<c>tokenizer.json</c>, <c>tokenizer_config.json</c>).</summary>
    public required string TokenizerDir { get; init; }

    /// <summary>The tokenizer's vocabulary size.</summary>
    public required int VocabSize { get; init; }

    /// <summary>The settings file the caches and the pipeline ran with.</summary>
    public required string SettingsPath { get; init; }

    /// <summary>The pretrain cache root.</summary>
    public required string PretrainCache { get; init; }

    /// <summary>The SFT cache root.</summary>
    public required string SftCache { get; init; }

    /// <summary>The pipeline's outcome (both stages).</summary>
    public required ScratchPipelineResult Training { get; init; }

    /// <summary>Sampled replies of the final model (empty when training stopped before the end).</summary>
    public required IReadOnlyList<DemoSample> Samples { get; init; }

    /// <summary>The model to talk to (SFT's best checkpoint), a Hugging Face folder.</summary>
    public string? FinalModel => Training.FinalModelPath;

    /// <summary>The stages reused from an earlier run, in order.</summary>
    public required IReadOnlyList<DemoStage> Reused { get; init; }
}
