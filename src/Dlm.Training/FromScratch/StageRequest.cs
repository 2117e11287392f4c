namespace Dlm.Training.FromScratch;

/// <summary>One stage to run: the settings, which stage, and where it starts from.</summary>
public sealed record StageRequest
{
    /// <summary>The resolved settings (data, model, stage blocks).</summary>
    public required ScratchSettings Settings { get; init; }

    /// <summary>Pretrain or SFT.</summary>
    public required StageKind Stage { get; init; }

    /// <summary>The stage folder (default: <c>run.dir/pretrain</c> or <c>run.dir/sft</c>).</summary>
    public string? Dir { get; init; }

    /// <summary>
    /// Where the weights start: <c>preset:NAME</c> or a Hugging Face folder. Default: <c>model.init</c> for
    /// pretraining; <c>sft.init</c> (required then) for SFT.
    /// </summary>
    public string? Init { get; init; }

    /// <summary>Draw <c>loss.png</c> when the stage completes (default true).</summary>
    public bool Plot { get; init; } = true;
}
