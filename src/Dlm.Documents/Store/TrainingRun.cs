using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Dlm.Core;

namespace Dlm.Documents.Store;

/// <summary>
/// One training run in a store: a <c>running</c> entry of <c>training_runs</c>, its log
/// <c>logs/train-000001-&lt;YYYYMMDDTHHMMSS&gt;.jsonl</c> (a banner line, then one line per
/// <see cref="Log"/>), the adapter versions it commits, and at <see cref="End"/> its final record
/// and a <c>.summary.json</c> beside the log. The trainer calls these in that order under the lock.
/// </summary>
public sealed class TrainingRun : IDisposable
{
    private readonly DocumentStore _store;
    private readonly StoreLock _lock;
    private readonly StreamWriter _log;
    private TrainingRunRecord _record;
    private bool _ended;

    private TrainingRun(DocumentStore store, StoreLock held, TrainingRunRecord record, string logPath, StreamWriter log)
    {
        _store = store;
        _lock = held;
        _record = record;
        LogPath = logPath;
        _log = log;
    }

    /// <summary>The run's number (1-based).</summary>
    public int RunId => _record.RunId;

    /// <summary>The JSONL log.</summary>
    public string LogPath { get; }

    /// <summary>The summary written at <see cref="End"/>: the log's name with <c>.summary.json</c>.</summary>
    public string SummaryPath => Path.ChangeExtension(LogPath, null) + ".summary.json";

    /// <summary>The record as it stands.</summary>
    public TrainingRunRecord Record => _record;

    internal static TrainingRun Begin(DocumentStore store, StoreLock held, long seed, string? baseModelRevision)
    {
        store.RequireHeld(held);
        var m = store.ReadManifest();
        int runId = m.TrainingRuns.Count == 0 ? 1 : m.TrainingRuns.Max(r => r.RunId) + 1;
        var started = DateTimeOffset.UtcNow;
        var record = new TrainingRunRecord
        {
            RunId = runId,
            StartedAt = started,
            Seed = seed,
            BaseModelRevision = baseModelRevision ?? m.BaseModelRevision,
            Status = RunStatus.Running,
        };
        Directory.CreateDirectory(store.LogsDir);
        var logPath = Path.Combine(store.LogsDir,
            string.Create(CultureInfo.InvariantCulture, $"train-{runId:D6}-{started.UtcDateTime:yyyyMMdd'T'HHmmss}.jsonl"));
        var stream = new FileStream(logPath, FileMode.CreateNew, FileAccess.Write, FileShare.Read);
        var log = new StreamWriter(stream, new UTF8Encoding(false)) { NewLine = "\n", AutoFlush = true };
        log.WriteLine(StoreJson.Line(new JsonObject
        {
            ["event"] = "banner",
            ["run_id"] = runId,
            ["dlm_id"] = store.DlmId,
            ["base_model"] = m.BaseModel,
            ["base_model_revision"] = record.BaseModelRevision,
            ["seed"] = seed,
            ["started_at"] = Manifest.Time(started),
        }));
        store.WriteManifest(held, m with { TrainingRuns = [.. m.TrainingRuns, record], UpdatedAt = started });
        return new TrainingRun(store, held, record, logPath, log);
    }

    /// <summary>Appends one JSON line to the run's log (a step's metrics, an evaluation, ...).</summary>
    public void Log(JsonObject line)
    {
        ArgumentNullException.ThrowIfNull(line);
        ObjectDisposedException.ThrowIf(_ended, this);
        _log.WriteLine(StoreJson.Line(line));
    }

    /// <summary>
    /// Commits the adapter folder <paramref name="sourceDir"/> as the next version (see
    /// <see cref="AdapterCommit"/>); a clean one becomes current and is recorded on this run.
    /// </summary>
    public AdapterCommit.Result CommitAdapter(string sourceDir, Action<string>? onFileCopied = null)
    {
        ObjectDisposedException.ThrowIf(_ended, this);
        var result = AdapterCommit.Commit(_store, _lock, sourceDir, RunId, onFileCopied);
        if (!result.Rejected) _record = _record with { AdapterVersion = result.Version };
        return result;
    }

    /// <summary>Ends the run: its final record in the manifest and the <c>.summary.json</c>.</summary>
    public void End(RunStatus status, int steps, double? finalTrainLoss, double? finalValLoss)
    {
        ObjectDisposedException.ThrowIf(_ended, this);
        _ended = true;
        _log.Dispose();
        _record = _record with
        {
            Status = status,
            Steps = steps,
            FinalTrainLoss = finalTrainLoss,
            FinalValLoss = finalValLoss,
            EndedAt = DateTimeOffset.UtcNow,
        };
        var m = _store.ReadManifest();
        _store.WriteManifest(_lock, m with
        {
            TrainingRuns = [.. m.TrainingRuns.Select(r => r.RunId == RunId ? _record : r)],
            UpdatedAt = _record.EndedAt!.Value,
        });
        var summary = _record.ToJson();
        summary["dlm_id"] = _store.DlmId;
        summary["log"] = Path.GetFileName(LogPath);
        StoreJson.WriteAtomic(SummaryPath, summary);
    }

    /// <summary>A run disposed without <see cref="End"/> (an exception in the trainer) ends as failed.</summary>
    public void Dispose()
    {
        if (_ended) return;
        try
        {
            End(RunStatus.Failed, _record.Steps, _record.FinalTrainLoss, _record.FinalValLoss);
        }
        catch (DlmException)
        {
            // The store could not be updated; the record stays "running", which readers show as such.
        }
    }
}
