using System.Text.Json.Nodes;

namespace Dlm.Documents.Store;

/// <summary>How a training run ended (or that it has not yet).</summary>
public enum RunStatus
{
    /// <summary>Started and not ended (or the process died).</summary>
    Running,

    /// <summary>Ended normally.</summary>
    Completed,

    /// <summary>Ended with an error.</summary>
    Failed,

    /// <summary>Stopped by the user.</summary>
    Cancelled,
}

/// <summary>One entry of the manifest's <c>training_runs</c> (R2 "Store").</summary>
public sealed record TrainingRunRecord
{
    /// <summary>1-based, in start order.</summary>
    public required int RunId { get; init; }

    /// <summary>UTC start time, ISO 8601.</summary>
    public required DateTimeOffset StartedAt { get; init; }

    /// <summary>UTC end time; null while running.</summary>
    public DateTimeOffset? EndedAt { get; init; }

    /// <summary>The adapter version the run committed; null when none (yet, or rejected).</summary>
    public int? AdapterVersion { get; init; }

    /// <summary>The base model's revision the run trained on.</summary>
    public string? BaseModelRevision { get; init; }

    /// <summary>The run's seed.</summary>
    public required long Seed { get; init; }

    /// <summary>Optimizer steps taken.</summary>
    public int Steps { get; init; }

    /// <summary>The last training loss; null when no step ran.</summary>
    public double? FinalTrainLoss { get; init; }

    /// <summary>The last validation loss; null when none was measured.</summary>
    public double? FinalValLoss { get; init; }

    /// <summary>running, completed, failed or cancelled.</summary>
    public required RunStatus Status { get; init; }

    /// <summary>The JSON form (snake_case keys).</summary>
    public JsonObject ToJson() => new()
    {
        ["run_id"] = RunId,
        ["started_at"] = Manifest.Time(StartedAt),
        ["ended_at"] = EndedAt is { } e ? Manifest.Time(e) : null,
        ["adapter_version"] = AdapterVersion,
        ["base_model_revision"] = BaseModelRevision,
        ["seed"] = Seed,
        ["steps"] = Steps,
        ["final_train_loss"] = FinalTrainLoss,
        ["final_val_loss"] = FinalValLoss,
        ["status"] = StatusName(Status),
    };

    /// <summary>Reads the JSON form back.</summary>
    public static TrainingRunRecord FromJson(JsonObject o, string path) => new()
    {
        RunId = Manifest.Get<int>(o, "run_id", path),
        StartedAt = Manifest.ParseTime(Manifest.Get<string>(o, "started_at", path), path),
        EndedAt = o["ended_at"] is JsonValue v ? Manifest.ParseTime(v.GetValue<string>(), path) : null,
        AdapterVersion = o["adapter_version"]?.GetValue<int>(),
        BaseModelRevision = o["base_model_revision"]?.GetValue<string>(),
        Seed = Manifest.Get<long>(o, "seed", path),
        Steps = o["steps"]?.GetValue<int>() ?? 0,
        FinalTrainLoss = o["final_train_loss"]?.GetValue<double>(),
        FinalValLoss = o["final_val_loss"]?.GetValue<double>(),
        Status = ParseStatus(Manifest.Get<string>(o, "status", path), path),
    };

    /// <summary>The manifest's name of a status.</summary>
    public static string StatusName(RunStatus s) => s switch
    {
        RunStatus.Running => "running",
        RunStatus.Completed => "completed",
        RunStatus.Failed => "failed",
        RunStatus.Cancelled => "cancelled",
        _ => throw new ArgumentOutOfRangeException(nameof(s)),
    };

    private static RunStatus ParseStatus(string s, string path) => s switch
    {
        "running" => RunStatus.Running,
        "completed" => RunStatus.Completed,
        "failed" => RunStatus.Failed,
        "cancelled" => RunStatus.Cancelled,
        _ => throw new Dlm.Core.DlmException($"{path}: unknown run status '{s}'"),
    };
}
