namespace Dlm.Data.Build;

/// <summary>What happened to one source's cache.</summary>
public enum SourceBuildStatus
{
    /// <summary>Built now.</summary>
    Built,
    /// <summary>A complete cache with the same tokenizer and options was there: <c>already exists, skipping</c>.</summary>
    Skipped,
    /// <summary>The build failed (the error says why); the final validation lists what is missing.</summary>
    Failed,
}

/// <summary>One row of the build summary.</summary>
public sealed record SourceBuildResult
{
    /// <summary>The source name.</summary>
    public required string Source { get; init; }

    /// <summary><c>pretrain</c> or <c>sft</c>.</summary>
    public required string Side { get; init; }

    /// <summary>Built, skipped or failed.</summary>
    public required SourceBuildStatus Status { get; init; }

    /// <summary>The cache folder.</summary>
    public required string Path { get; init; }

    /// <summary>Documents (pretrain) or examples (SFT) written.</summary>
    public long Records { get; init; }

    /// <summary>Train tokens written.</summary>
    public long TrainTokens { get; init; }

    /// <summary>Validation tokens written.</summary>
    public long ValTokens { get; init; }

    /// <summary>SFT: train examples.</summary>
    public long TrainExamples { get; init; }

    /// <summary>SFT: validation examples.</summary>
    public long ValExamples { get; init; }

    /// <summary>Records skipped as malformed (each was reported with its place).</summary>
    public long SkippedRecords { get; init; }

    /// <summary>SFT: examples cut to <c>sft_max_tokens</c>.</summary>
    public long CutExamples { get; init; }

    /// <summary>Input bytes read.</summary>
    public long BytesRead { get; init; }

    /// <summary>Wall time of the build.</summary>
    public double Seconds { get; init; }

    /// <summary>The error, for a failed build.</summary>
    public string? Error { get; init; }
}
