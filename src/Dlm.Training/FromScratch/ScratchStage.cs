using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Dlm.Chat.Renderers;
using Dlm.Core;
using Dlm.Data.Caches;
using Dlm.Models.Config;
using Dlm.Models.IO;
using Dlm.Models.Optim;
using Dlm.Models.Training;
using Dlm.Models.Transformer;
using Dlm.Training.Client;
using Dlm.Training.Supervised;

namespace Dlm.Training.FromScratch;

/// <summary>
/// One from-scratch training stage (niels-gpt pretraining or SFT, REFERENCE.md R1) on dlm's engine:
/// batches from the token caches, AdamW with the niels-gpt betas and weight decay, global-norm clipping,
/// linear warmup then cosine, the validation loss on the val caches every <c>eval_every</c> steps and at
/// the end, checkpoints <c>latest</c> (with the full training state), <c>best</c> (lowest validation
/// loss) and <c>step_NNNNNNN</c> (pruned to <c>keep_checkpoints</c>), <c>metrics.jsonl</c> (one row per
/// step) and <c>loss.png</c>. A rerun continues from <c>latest</c> exactly: weights, AdamW moments, step,
/// the sampler's and the dropout generator's states and the spent time are restored, so the run ends
/// bit-identical to one never interrupted. A stage that reached its step or time budget is complete
/// (<c>stage.json</c>) and a rerun skips it.
/// </summary>
public static class ScratchStage
{
    /// <summary>The stage's checkpoints folder.</summary>
    public const string CheckpointsDir = "checkpoints";

    /// <summary>The training state file inside <c>latest</c>.</summary>
    public const string StateFile = "state.safetensors";

    /// <summary>Everything checked before any work starts, so a bad setting fails in one line.</summary>
    internal sealed record Plan(StageRequest Request, string Dir, string Init, ModelConfig Config, int Seq, CacheTokenizer Tokenizer, StageSettings Stage);

    /// <summary>Runs (or resumes, or skips) the stage on a worker thread.</summary>
    public static Task<StageResult> RunAsync(StageRequest request, IProgress<ScratchProgress>? progress = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        return Task.Run(() => Run(request, progress, ct), CancellationToken.None);
    }

    /// <summary>Runs (or resumes, or skips) the stage on this thread.</summary>
    /// <exception cref="DlmException">Missing caches, a settings/model mismatch, or an unusable checkpoint.</exception>
    public static StageResult Run(StageRequest request, IProgress<ScratchProgress>? progress = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var dir = request.Dir ?? request.Settings.StageDir(request.Stage);
        if (StageStatus.Read(dir) is { } done)
        {
            Say(progress, request.Stage, $"{request.Stage.Name()}: already complete in {dir} ({done.Steps} steps, {done.Reason}); skipping (delete {Path.Combine(dir, StageStatus.FileName)} to train it again)");
            return Skipped(request.Stage, dir, done);
        }
        var plan = Check(request);
        return Train(plan, progress, ct);
    }

    /// <summary>The result of a stage that is already complete, or null when it is not.</summary>
    public static StageResult? Completed(StageKind stage, string dir) => StageStatus.Read(dir) is { } s ? Skipped(stage, dir, s) : null;

    private static StageResult Skipped(StageKind stage, string dir, StageStatus done) => new()
    {
        Stage = stage,
        Outcome = StageOutcome.Skipped,
        Dir = dir,
        Steps = done.Steps,
        MaxSteps = done.Steps,
        Tokens = done.Tokens,
        Elapsed = TimeSpan.FromSeconds(done.ElapsedSeconds),
        Reason = done.Reason,
        InitialValLoss = done.InitialValLoss,
        FinalValLoss = done.FinalValLoss,
        BestValLoss = done.BestValLoss,
        BestStep = done.BestStep,
        BestModelPath = done.BestModel,
        LatestModelPath = done.LatestModel,
        MetricsPath = Path.Combine(dir, MetricsLog.FileName),
        LossPlotPath = File.Exists(Path.Combine(dir, LossPlot.FileName)) ? Path.Combine(dir, LossPlot.FileName) : null,
    };

    /// <summary>
    /// Checks the request against the settings, the tokenizer and the caches without training: the caches
    /// exist (else one line naming the <c>build-all</c> command), the model's vocabulary holds the
    /// tokenizer's, the context length fits the model.
    /// </summary>
    internal static Plan Check(StageRequest request, ModelConfig? configOverride = null)
    {
        var s = request.Settings;
        var kind = request.Stage;
        var dir = request.Dir ?? s.StageDir(kind);
        var missing = StageData.Missing(s.Data, kind);
        if (missing.Count > 0)
            throw new DlmException($"missing {kind.Name()} caches: {string.Join(", ", missing)}; build them with: dlm cache build-all --settings {s.SettingsPath ?? "FILE"}");
        var stage = s.Stage(kind);
        var init = request.Init ?? (kind == StageKind.Pretrain ? s.Model.Init : s.Sft.Init)
            ?? throw new DlmException("sft.init: the model to fine-tune is required (a Hugging Face folder, e.g. the pretrain stage's checkpoints/best); dlm pipeline sets it");
        var tokenizer = CacheTokenizer.Load(s.Data.Tokenizer);
        var config = configOverride ?? ScratchModels.Resolve(init, s.Model, tokenizer.VocabSize);
        if (tokenizer.VocabSize > config.VocabSize)
            throw new DlmException($"vocabulary mismatch: the tokenizer {tokenizer.File} has {tokenizer.VocabSize} ids but the model ({init}) holds {config.VocabSize}");
        int seq = stage.ContextLength ?? config.ContextLength;
        if (seq > config.ContextLength)
            throw new DlmException($"{kind.Name()}.context_length {seq} exceeds the model's context length {config.ContextLength} ({init})");
        return new Plan(request, dir, init, config, seq, tokenizer, stage);
    }

    private static string Fingerprint(Plan p) => JsonSerializer.Serialize(new Dictionary<string, object?>
    {
        ["stage"] = p.Request.Stage.Name(),
        ["init"] = p.Init,
        ["batch_size"] = p.Stage.BatchSize,
        ["context_length"] = p.Seq,
        ["max_steps"] = p.Stage.MaxSteps,
        ["lr"] = p.Stage.LearningRate,
        ["min_lr"] = p.Stage.MinLearningRate,
        ["warmup_steps"] = p.Stage.WarmupSteps,
        ["betas"] = new[] { p.Stage.Beta1, p.Stage.Beta2 },
        ["weight_decay"] = p.Stage.WeightDecay,
        ["grad_clip"] = p.Stage.GradClip,
        ["seed"] = p.Stage.Seed,
        ["mix"] = (p.Request.Stage == StageKind.Pretrain ? p.Request.Settings.Data.MixPretrain : p.Request.Settings.Data.MixSft).ToString(),
        ["model"] = JsonSerializer.Deserialize<JsonElement>(HfConfigJson.ToJson(p.Config)),
    });

    private static StageResult Train(Plan p, IProgress<ScratchProgress>? progress, CancellationToken ct)
    {
        var kind = p.Request.Stage;
        var st = p.Stage;
        var ci = CultureInfo.InvariantCulture;
        Directory.CreateDirectory(p.Dir);
        var ckpt = Path.Combine(p.Dir, CheckpointsDir);
        var tokens = p.Request.Settings.Data.Tokenizer;
        using var data = new StageData(p.Request.Settings.Data, kind, p.Tokenizer, st.BatchSize, p.Seq, st.Seed);
        int b = st.BatchSize, t = p.Seq, n = b * t;
        var model = new TransformerModel(p.Config, b, t, null, TrainingGemm.Default);
        var schedule = LearningRateSchedules.NielsGpt(st.MaxSteps, Math.Min(st.WarmupSteps, st.MaxSteps), st.LearningRate, st.MinLearningRate);
        var trainer = new ModelTrainer(model, new AdamWOptions(st.Beta1, st.Beta2, 1e-8f, st.WeightDecay), schedule, st.GradClip);
        var fingerprint = Fingerprint(p);
        var metricsPath = Path.Combine(p.Dir, MetricsLog.FileName);

        var state = new TrainerState { Fingerprint = fingerprint };
        int resumedFrom = 0;
        if (CheckpointFolders.Find(ckpt, CheckpointFolders.Latest) is { } latestDir && File.Exists(Path.Combine(latestDir, TrainerState.FileName)))
        {
            CheckpointFolders.Require(latestDir, StateFile, TrainerState.FileName);
            state = TrainerState.Read(latestDir);
            if (state.Fingerprint != fingerprint)
                throw new DlmException($"{latestDir} was written with other {kind.Name()} settings (batch, context, schedule, seed or model); restore them, or delete {p.Dir} to start the stage again");
            NativeCheckpoint.Load(Path.Combine(latestDir, StateFile), trainer);
            if (trainer.Step != state.Step) throw new DlmException($"{latestDir}: state.safetensors is at step {trainer.Step} but trainer_state.json at {state.Step}");
            data.RngState = state.SamplerRngState;
            resumedFrom = state.Step;
            KeepMetricsUpTo(metricsPath, state.Step);
            Say(progress, kind, $"{kind.Name()}: resuming from {latestDir} at step {state.Step}/{st.MaxSteps}");
        }
        else
        {
            if (ModelPresets.IsPreset(p.Init)) model.InitializeWeights(unchecked((ulong)st.Seed));
            else HfModelFolder.LoadWeights(p.Init, model.Layout, model.Weights);
            model.RngState = unchecked((ulong)st.Seed * 0x9E3779B97F4A7C15UL + 0x5EEDUL);
            // No resumable state: whatever else is here (metrics, best, step_N) belongs to an abandoned run.
            if (File.Exists(metricsPath)) File.Delete(metricsPath);
            if (Directory.Exists(ckpt)) Directory.Delete(ckpt, recursive: true);
            Say(progress, kind, string.Create(ci,
                $"{kind.Name()}: {p.Config.ModelType} model from {p.Init}, {model.Layout.Count:N0} parameters, batch {b} x {t} tokens, {st.MaxSteps} steps{(st.MaxMinutes is { } mm ? $" or {mm:0.##} minutes" : "")}, lr {st.LearningRate:0.#########} -> {st.MinLearningRate:0.#########}"));
        }

        var tok = new int[n];
        var tgt = new int[n];
        var wts = new float[n];
        double? maxSeconds = st.MaxMinutes * 60;
        double elapsedBase = state.ElapsedSeconds;
        var clock = Stopwatch.StartNew();
        double Elapsed() => elapsedBase + clock.Elapsed.TotalSeconds;
        int step = trainer.Step;
        long tokenCount = state.Tokens;
        double? best = state.BestValLoss, lastVal = state.LastValLoss, initialVal = state.InitialValLoss;
        int? bestStep = state.BestStep;
        int lastSaved = resumedFrom > 0 ? resumedFrom : -1;
        var recent = new Queue<double>();
        int skippedInARow = 0;

        TrainerState Snapshot() => new()
        {
            Step = step, SamplerRngState = data.RngState, ElapsedSeconds = Elapsed(), Tokens = tokenCount,
            BestValLoss = best, BestStep = bestStep, LastValLoss = lastVal, InitialValLoss = initialVal, Fingerprint = fingerprint,
        };
        string SaveModel(string name, bool withState)
        {
            var snap = Snapshot();
            return CheckpointFolders.Write(ckpt, name, folder =>
            {
                ScratchModelFolder.Save(folder, model, tokens.Path, tokens.SpecialTokens);
                if (withState) NativeCheckpoint.Save(Path.Combine(folder, StateFile), trainer);
                snap.Write(folder);
            });
        }
        void SaveLatest()
        {
            SaveModel(CheckpointFolders.Latest, withState: true);
            lastSaved = step;
        }

        if (initialVal is null)
        {
            // The untrained model's validation loss: the start of the val curve (about ln V for random weights).
            var v0 = Evaluate(model, data, st.EvalBatches, tok, tgt, wts, b, t);
            initialVal = v0;
            MetricsLog.Append(p.Dir, [new("step", 0), new("test/nll", v0)]);
            progress?.Report(new ScratchProgress(kind, ScratchProgressKind.Eval, 0, st.MaxSteps, null, 0, null, v0, TimeSpan.Zero,
                string.Create(ci, $"{kind.Name()}: step 0/{st.MaxSteps} val loss {v0:F4} (before training)")));
        }

        string? reason = null;
        if (step >= st.MaxSteps) reason = "max_steps";
        else if (maxSeconds is { } ms0 && Elapsed() >= ms0 && step > 0) reason = "max_minutes";
        int startStep = step;
        while (reason is null)
        {
            if (ct.IsCancellationRequested)
            {
                if (lastSaved != step) SaveLatest();
                Say(progress, kind, $"{kind.Name()}: stopped at step {step}/{st.MaxSteps}; saved {Path.Combine(ckpt, CheckpointFolders.Latest)}; rerun to resume");
                return Result(p, StageOutcome.Stopped, step, startStep, resumedFrom, tokenCount, Elapsed(), null, initialVal, lastVal, best, bestStep, ckpt, metricsPath, null, model.Layout.Count);
            }
            var stepClock = Stopwatch.StartNew();
            data.NextTrain(tok, tgt, wts);
            double lossTokens = 0;
            foreach (var w in wts) lossTokens += w;
            var r = trainer.TrainStep(tok, tgt, wts, b, t);
            // A non-finite gradient skips the update (the batch is spent); many in a row mean the run diverged.
            skippedInARow = r.Skipped ? skippedInARow + 1 : 0;
            if (skippedInARow >= 10)
                throw new DlmException(string.Create(ci, $"{kind.Name()}: the gradient was not finite for 10 steps in a row at step {step} (loss {r.Loss}); lower {kind.Name()}.lr"));
            step = trainer.Step;
            tokenCount += n;
            double stepSeconds = stepClock.Elapsed.TotalSeconds;
            recent.Enqueue(stepSeconds);
            if (recent.Count > 20) recent.Dequeue();
            bool last = step >= st.MaxSteps || (maxSeconds is { } ms && Elapsed() >= ms);
            double? val = null;
            if (step % st.EvalEvery == 0 || last)
            {
                val = Evaluate(model, data, st.EvalBatches, tok, tgt, wts, b, t);
                lastVal = val;
            }
            var row = new List<KeyValuePair<string, double>>
            {
                new("step", step),
                new("learning_rate", r.LearningRate),
                new("train_mean_nll", r.Loss),
                new("grad_norm", r.GradNorm),
                new("num_tokens", n),
                new("num_loss_tokens", lossTokens),
            };
            if (val is { } v) row.Add(new("test/nll", v));
            row.Add(new("time/step", stepSeconds));
            row.Add(new("tokens_per_second", n / Math.Max(1e-9, stepSeconds)));
            row.Add(new("elapsed_seconds", Elapsed()));
            MetricsLog.Append(p.Dir, row);

            double avg = recent.Average();
            double tps = n / Math.Max(1e-9, avg);
            double etaSeconds = avg * (st.MaxSteps - step);
            if (maxSeconds is { } msx) etaSeconds = Math.Min(etaSeconds, Math.Max(0, msx - Elapsed()));
            var eta = TimeSpan.FromSeconds(etaSeconds);
            progress?.Report(new ScratchProgress(kind, ScratchProgressKind.Step, step, st.MaxSteps, r.Loss, tps, eta, lastVal, TimeSpan.FromSeconds(Elapsed())));
            if (val is { } vv)
            {
                bool improved = best is null || vv < best;
                if (improved)
                {
                    best = vv;
                    bestStep = step;
                    SaveModel(CheckpointFolders.Best, withState: false);
                }
                progress?.Report(new ScratchProgress(kind, ScratchProgressKind.Eval, step, st.MaxSteps, r.Loss, tps, eta, vv, TimeSpan.FromSeconds(Elapsed()),
                    string.Create(ci, $"{kind.Name()}: step {step}/{st.MaxSteps} val loss {vv:F4}{(improved ? " (best)" : string.Create(ci, $" (best {best:F4} at step {bestStep})"))}")));
            }
            if (step % st.SaveEvery == 0)
            {
                SaveLatest();
                if (st.KeepCheckpoints > 0) SaveModel(CheckpointFolders.StepName(step), withState: false);
                CheckpointFolders.Prune(ckpt, st.KeepCheckpoints);
            }
            if (last) reason = step >= st.MaxSteps ? "max_steps" : "max_minutes";
        }

        if (lastSaved != step) SaveLatest();
        var bestPath = CheckpointFolders.Find(ckpt, CheckpointFolders.Best) ?? CheckpointFolders.Copy(ckpt, Path.Combine(ckpt, CheckpointFolders.Latest), CheckpointFolders.Best);
        string? plot = null;
        if (p.Request.Plot)
        {
            try
            {
                plot = LossPlot.Write(p.Dir);
            }
            catch (Exception e) when (e is DllNotFoundException or TypeInitializationException or IOException)
            {
                Say(progress, kind, $"{kind.Name()}: could not draw {LossPlot.FileName}: {e.Message}");
            }
        }
        var status = new StageStatus
        {
            Stage = kind.Name(), Reason = reason, Steps = step, Tokens = tokenCount, ElapsedSeconds = Elapsed(),
            InitialValLoss = initialVal, FinalValLoss = lastVal, BestValLoss = best, BestStep = bestStep,
            BestModel = bestPath, LatestModel = Path.Combine(ckpt, CheckpointFolders.Latest),
        };
        status.Write(p.Dir);
        Say(progress, kind, string.Create(ci, $"{kind.Name()}: complete at step {step} ({reason}); val loss {lastVal:F4}, best {best:F4} at step {bestStep}; best model {bestPath}"));
        return Result(p, StageOutcome.Completed, step, startStep, resumedFrom, tokenCount, Elapsed(), reason, initialVal, lastVal, best, bestStep, ckpt, metricsPath, plot, model.Layout.Count);
    }

    private static StageResult Result(Plan p, StageOutcome outcome, int step, int startStep, int resumedFrom, long tokens, double elapsed, string? reason,
        double? initialVal, double? lastVal, double? best, int? bestStep, string ckpt, string metrics, string? plot, long parameters) => new()
    {
        Stage = p.Request.Stage,
        Outcome = outcome,
        Dir = p.Dir,
        Steps = step,
        MaxSteps = p.Stage.MaxSteps,
        StepsRun = step - startStep,
        ResumedFromStep = resumedFrom,
        Tokens = tokens,
        Elapsed = TimeSpan.FromSeconds(elapsed),
        Reason = reason,
        InitialValLoss = initialVal,
        FinalValLoss = lastVal,
        BestValLoss = best,
        BestStep = bestStep,
        BestModelPath = Directory.Exists(Path.Combine(ckpt, CheckpointFolders.Best)) ? Path.Combine(ckpt, CheckpointFolders.Best) : null,
        LatestModelPath = Directory.Exists(Path.Combine(ckpt, CheckpointFolders.Latest)) ? Path.Combine(ckpt, CheckpointFolders.Latest) : null,
        MetricsPath = metrics,
        LossPlotPath = plot,
        Parameters = parameters,
    };

    /// <summary>Mean loss per trained token over <paramref name="batches"/> fixed-seed validation batches (dropout off).</summary>
    private static double Evaluate(TransformerModel model, StageData data, int batches, int[] tok, int[] tgt, float[] wts, int b, int t)
    {
        double sum = 0, weight = 0;
        foreach (var _ in data.Validation(batches, tok, tgt, wts))
        {
            var loss = model.Forward(tok, tgt, wts, b, t, training: false);
            sum += loss.Sum;
            weight += loss.WeightSum;
        }
        return weight > 0 ? sum / weight : double.NaN;
    }

    // A killed run may have logged steps after its last checkpoint; the resumed run logs them again.
    private static void KeepMetricsUpTo(string path, int step)
    {
        if (!File.Exists(path)) return;
        var kept = new List<string>();
        foreach (var line in File.ReadAllLines(path))
        {
            if (string.IsNullOrWhiteSpace(line)) continue;
            try
            {
                using var doc = JsonDocument.Parse(line.Replace(": NaN", ": null", StringComparison.Ordinal));
                if (doc.RootElement.TryGetProperty("step", out var s) && s.GetDouble() <= step) kept.Add(line);
            }
            catch (JsonException)
            {
                // A row torn by the kill.
            }
        }
        AtomicFile.WriteAllText(path, kept.Count == 0 ? "" : string.Join("\n", kept) + "\n");
    }

    private static void Say(IProgress<ScratchProgress>? progress, StageKind kind, string message) =>
        progress?.Report(new ScratchProgress(kind, ScratchProgressKind.Message, 0, 0, null, 0, null, null, TimeSpan.Zero, message));
}
