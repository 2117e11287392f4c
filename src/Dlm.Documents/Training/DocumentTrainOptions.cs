using Dlm.Hub;

namespace Dlm.Documents.Training;

/// <summary>What <c>dlm train</c> asks of <see cref="DocumentTrainer"/> beyond the document itself.</summary>
public sealed record DocumentTrainOptions
{
    /// <summary>Continue the last interrupted run from its checkpoint.</summary>
    public bool Resume { get; init; }

    /// <summary>Start from the base alone (not the current adapter), and train even when the content is unchanged.</summary>
    public bool Fresh { get; init; }

    /// <summary>Overrides <c>training.seed</c>.</summary>
    public long? Seed { get; init; }

    /// <summary>Caps the run's optimizer steps (the schedule spans the capped run).</summary>
    public int? MaxSteps { get; init; }

    /// <summary>Report rows, tokens, steps and an estimated time; train nothing, write nothing.</summary>
    public bool DryRun { get; init; }

    /// <summary>Accept a gated base's licence (recorded in the manifest).</summary>
    public bool AcceptLicense { get; init; }

    /// <summary>Where bases are downloaded from and cached.</summary>
    public HubOptions Hub { get; init; } = HubOptions.FromEnvironment();

    /// <summary><c>DLM_HOME</c> (null: <see cref="Dlm.Core.DlmPaths.Home"/>).</summary>
    public string? Home { get; init; }

    /// <summary>A state checkpoint every this many steps (and at every epoch's end), so a killed run can resume.</summary>
    public int CheckpointEvery { get; init; } = 25;
}
