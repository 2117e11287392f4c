using Dlm.Core.Config;

namespace Dlm.Training.FromScratch;

/// <summary>What <see cref="ScratchPipeline.RunAsync"/> runs: a settings file, overrides, and budgets.</summary>
public sealed record ScratchPipelineOptions
{
    /// <summary>The settings file (YAML with <c>data:</c> and optionally <c>model:</c>, <c>run:</c>, <c>pretrain:</c>, <c>sft:</c>); null for the built-in data defaults.</summary>
    public string? SettingsPath { get; init; }

    /// <summary><c>key=value</c> overrides applied on top of the file (<c>pretrain.max_steps=200</c>, <c>data.seed=7</c>).</summary>
    public IReadOnlyList<KeyValueArg> Overrides { get; init; } = [];

    /// <summary>The run folder (<c>pretrain/</c> and <c>sft/</c> below it); null keeps <c>run.dir</c> of the settings.</summary>
    public string? RunDir { get; init; }

    /// <summary>Replaces <c>pretrain.max_steps</c> when set.</summary>
    public int? PretrainMaxSteps { get; init; }

    /// <summary>Replaces <c>pretrain.max_minutes</c> when set.</summary>
    public double? PretrainMaxMinutes { get; init; }

    /// <summary>Replaces <c>sft.max_steps</c> when set.</summary>
    public int? SftMaxSteps { get; init; }

    /// <summary>Replaces <c>sft.max_minutes</c> when set.</summary>
    public double? SftMaxMinutes { get; init; }

    /// <summary>Run only the pretrain stage (default false: pretrain then SFT).</summary>
    public bool PretrainOnly { get; init; }

    /// <summary>Draw <c>loss.png</c> for each completed stage (default true).</summary>
    public bool Plot { get; init; } = true;
}
