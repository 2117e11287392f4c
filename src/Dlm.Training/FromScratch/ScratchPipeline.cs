using System.Globalization;
using Dlm.Core;
using Dlm.Core.Config;

namespace Dlm.Training.FromScratch;

/// <summary>
/// <c>dlm pipeline</c>: pretraining, then SFT from the pretrain stage's <c>best</c> checkpoint with a
/// fresh optimizer (REFERENCE.md R1). A stage whose output is complete (its step or time budget reached
/// before) is skipped, and the report says so; a stopped stage resumes from its <c>latest</c>. Both
/// stages are checked (caches, vocabulary, context length) before any training starts.
/// </summary>
public static class ScratchPipeline
{
    /// <summary>Loads the settings of <paramref name="options"/>, with its budgets and run folder applied.</summary>
    public static ScratchSettings LoadSettings(ScratchPipelineOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var s = ScratchSettingsLoader.Load(options.SettingsPath, options.Overrides);
        return Apply(s, options);
    }

    private static ScratchSettings Apply(ScratchSettings s, ScratchPipelineOptions o) => s with
    {
        RunDir = o.RunDir is { } rd ? Path.GetFullPath(rd) : s.RunDir,
        Pretrain = s.Pretrain with
        {
            MaxSteps = o.PretrainMaxSteps ?? s.Pretrain.MaxSteps,
            MaxMinutes = o.PretrainMaxMinutes ?? s.Pretrain.MaxMinutes,
        },
        Sft = s.Sft with
        {
            MaxSteps = o.SftMaxSteps ?? s.Sft.MaxSteps,
            MaxMinutes = o.SftMaxMinutes ?? s.Sft.MaxMinutes,
        },
    };

    /// <summary>Runs the pipeline on a worker thread; Ctrl-C (<paramref name="ct"/>) stops at a step boundary after saving <c>latest</c>.</summary>
    /// <exception cref="DlmException">Missing caches, a settings/model mismatch, or an unusable checkpoint (before any work where it can be known).</exception>
    public static Task<ScratchPipelineResult> RunAsync(ScratchPipelineOptions options, IProgress<ScratchProgress>? progress = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        return Task.Run(() => Run(LoadSettings(options), options.PretrainOnly, options.Plot, progress, ct), CancellationToken.None);
    }

    /// <summary>Runs the pipeline with resolved settings on this thread.</summary>
    public static ScratchPipelineResult Run(ScratchSettings settings, bool pretrainOnly = false, bool plot = true, IProgress<ScratchProgress>? progress = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var pre = new StageRequest { Settings = settings, Stage = StageKind.Pretrain, Plot = plot };
        var preDir = settings.StageDir(StageKind.Pretrain);
        var sftDir = settings.StageDir(StageKind.Sft);
        var preDone = ScratchStage.Completed(StageKind.Pretrain, preDir);
        // Check both stages up front: a missing SFT cache should not surface after ten minutes of pretraining.
        var prePlan = preDone is null ? ScratchStage.Check(pre) : null;
        if (!pretrainOnly && ScratchStage.Completed(StageKind.Sft, sftDir) is null)
        {
            var sftInit = preDone?.BestModelPath ?? Path.Combine(preDir, ScratchStage.CheckpointsDir, CheckpointFolders.Best);
            ScratchStage.Check(new StageRequest { Settings = settings, Stage = StageKind.Sft, Init = sftInit }, prePlan?.Config ?? LoadConfigOf(sftInit));
        }

        var preResult = ScratchStage.Run(pre, progress, ct);
        if (pretrainOnly || preResult.Outcome == StageOutcome.Stopped)
            return new ScratchPipelineResult(settings, preResult, NotRun(settings));
        var init = preResult.BestModelPath ?? throw new DlmException($"{preDir}: the pretrain stage is complete but has no best checkpoint; delete {preDir} to train it again");
        var sftResult = ScratchStage.Run(new StageRequest { Settings = settings, Stage = StageKind.Sft, Init = init, Plot = plot }, progress, ct);
        return new ScratchPipelineResult(settings, preResult, sftResult);
    }

    private static Dlm.Models.Config.ModelConfig LoadConfigOf(string folder) =>
        Directory.Exists(folder) ? Dlm.Models.IO.HfModelFolder.LoadConfig(folder) : throw new DlmException($"{folder}: pretrain best checkpoint not found");

    private static StageResult NotRun(ScratchSettings s) => new()
    {
        Stage = StageKind.Sft,
        Outcome = StageOutcome.NotRun,
        Dir = s.StageDir(StageKind.Sft),
        MaxSteps = s.Sft.MaxSteps,
        MetricsPath = Path.Combine(s.StageDir(StageKind.Sft), Supervised.MetricsLog.FileName),
    };

    /// <summary>One line per stage: what happened, losses, where the best model is.</summary>
    public static string Describe(StageResult r)
    {
        ArgumentNullException.ThrowIfNull(r);
        var ci = CultureInfo.InvariantCulture;
        string Loss(double? v) => v is { } x ? x.ToString("F4", ci) : "-";
        return r.Outcome switch
        {
            StageOutcome.NotRun => $"{r.Stage.Name()}: not run",
            StageOutcome.Stopped => string.Create(ci, $"{r.Stage.Name()}: stopped at step {r.Steps}/{r.MaxSteps} (rerun to resume); last val loss {Loss(r.FinalValLoss)}"),
            _ => string.Create(ci,
                $"{r.Stage.Name()}: {(r.Outcome == StageOutcome.Skipped ? "already complete, skipped" : "complete")} ({r.Steps} steps, {r.Reason}, {r.Elapsed.TotalMinutes:F1} min); val loss {Loss(r.InitialValLoss)} -> {Loss(r.FinalValLoss)}, best {Loss(r.BestValLoss)} at step {r.BestStep}; best model {r.BestModelPath}"),
        };
    }
}
