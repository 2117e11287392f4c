using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using Dlm.Chat;
using Dlm.Core;
using Dlm.Documents.Descent;
using Dlm.Documents.Format;
using Dlm.Documents.Rows;
using Dlm.Documents.Store;
using Dlm.Hub;
using Dlm.Models.Optim;
using Dlm.Models.Transformer;
using Dlm.Numerics.Gemm;
using Dlm.Training.Client;
using Dlm.Training.NumpyRandom;

namespace Dlm.Documents.Training;

/// <summary>
/// <c>dlm train</c>'s work once the document is resolved: rows (<see cref="RowBuilder"/>), LoRA
/// training through <see cref="LocalTrainingClient"/> with the frontmatter's settings, and a new
/// adapter version in the store, all under the store's lock.
/// <list type="bullet">
/// <item>LoRA rank, alpha, dropout and targets from the frontmatter (<c>auto</c> targets = the
/// registry's, q/k/v/o projections); AdamW with HF Trainer's <c>adamw_torch</c> defaults (β 0.9/0.999,
/// ε 1e-8, no weight decay), gradients clipped at norm 1 as HF does; the schedule is warmup for
/// <c>ceil(warmup_ratio × steps)</c> steps then <c>lr_scheduler</c> decay to 0 (HF's
/// <c>get_*_schedule_with_warmup</c>).</item>
/// <item>The loss of a step is the mean over its trained tokens (each datum's weights divided by
/// the batch's total weight, so the client's token sum is that mean), as HF's causal-LM loss.</item>
/// <item>Each epoch the training sequences are shuffled with <c>numpy.random.default_rng(seed + epoch)</c>
/// and cut into steps of <see cref="BatchPlan.RowsPerStep"/> (the last one partial); the validation
/// loss (mean NLL per trained token of the validation rows, no dropout) is measured after each
/// epoch's last step.</item>
/// <item>With a current adapter, a new run starts from it (its training state: adapter weights; the
/// optimizer restarts) unless <c>--fresh</c>; content equal to the current version's
/// (<c>content_hashes</c>) is reported as unchanged and nothing is trained.</item>
/// <item>A checkpoint (<see cref="RunCheckpoint"/>) every <see cref="DocumentTrainOptions.CheckpointEvery"/>
/// steps and at each epoch's end; <c>--resume</c> continues it with its optimizer state, step and RNG.</item>
/// </list>
/// </summary>
public static class DocumentTrainer
{
    /// <summary>The AdamW settings of every document run (see the type's summary).</summary>
    public static AdamParams Adam(double learningRate) => new()
    {
        LearningRate = learningRate, Beta1 = 0.9, Beta2 = 0.999, Eps = 1e-8, WeightDecay = 0, GradClipNorm = 1.0,
    };

    /// <summary>Trains <paramref name="document"/> (see the type's summary); <paramref name="info"/> gets one line per note for stderr.</summary>
    public static TrainOutcome Run(DlmDocument document, DescentReport? descent, DocumentTrainOptions options, Action<string> info,
        IProgress<TrainStepReport>? progress = null, IProgress<DownloadProgress>? download = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(document);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(info);
        var fm = document.Frontmatter;
        var t = fm.Training;
        long seed = options.Seed ?? t.Seed;
        if (options.MaxSteps is < 1) throw new UsageException($"--max-steps must be at least 1, not {options.MaxSteps}");
        if (options.Resume && options.Fresh) throw new UsageException("pass only one of --resume and --fresh");

        var b = DocumentBase.LoadAsync(fm.BaseModel, AnchorDir(document.Path), options.Hub, options.AcceptLicense, download: !options.DryRun, download, ct)
            .GetAwaiter().GetResult();
        if (b is null)
        {
            info($"base {fm.BaseModel} is not downloaded yet: rows, tokens and steps need its tokenizer (dlm models pull {fm.BaseModel}, or train without --dry-run)");
            return new TrainOutcome(TrainOutcomeKind.DryRun, 0, null, null, 0, seed, null, null);
        }
        int seqLen = Math.Min(t.SequenceLen, b.Config.ContextLength);
        if (seqLen < t.SequenceLen) info($"sequence_len {t.SequenceLen} capped at the base's context of {b.Config.ContextLength} tokens");
        var rows = RowBuilder.Build(document, descent, b.Tokenizer, b.Renderer, seqLen, seed);
        foreach (var n in rows.Notes) info(n);
        var trainWindows = rows.TrainWindows;
        var valWindows = rows.ValidationWindows;
        if (trainWindows.Count == 0)
            throw new DlmException($"{document.Path}: nothing to train: no prose or Q/A rows in the training split ({rows.Rows.Count} row(s) in all)");
        var plan = BatchPlan.Choose(t.MicroBatchSize, t.GradAccum, b.Config, seqLen, trainWindows.Count);
        int perEpoch = plan.StepsPerEpoch(trainWindows.Count);
        int total = perEpoch * t.NumEpochs;
        if (options.MaxSteps is { } cap && cap < total) total = cap;
        long trainTokens = rows.Train.Sum(r => (long)r.Tokens);
        var ci = CultureInfo.InvariantCulture;
        info(string.Create(ci,
            $"base: {fm.BaseModel} ({b.Config.ModelType}, renderer {b.Renderer.Name}, {b.Folder})"));
        info(string.Create(ci,
            $"rows: {rows.Rows.Count} ({rows.Rows.Count(r => r.Kind == RowKind.Prose)} prose, {rows.Rows.Count(r => r.Kind == RowKind.Instruction)} Q/A): {rows.Train.Count} train, {rows.Validation.Count} validation; sequences: {trainWindows.Count} train, {valWindows.Count} validation"));
        info(string.Create(ci,
            $"tokens: {trainTokens} train ({rows.Train.Sum(r => (long)r.LossTokens)} with loss), {rows.Validation.Sum(r => (long)r.Tokens)} validation"));
        info(string.Create(ci,
            $"batch: {plan.MicroBatchSize} x {plan.GradAccum} = {plan.RowsPerStep} sequence(s) per step; {plan.Reason}"));
        info(string.Create(ci,
            $"steps: {total} ({t.NumEpochs} epoch(s) x {perEpoch}{(options.MaxSteps is { } mc && mc < perEpoch * t.NumEpochs ? $", capped by --max-steps {mc}" : "")}); lora r={t.LoraR} alpha={t.LoraAlpha} dropout={t.LoraDropout} targets {string.Join(',', b.TargetModules(t.TargetModules))}; lr {t.LearningRate} {t.LrScheduler}, warmup_ratio {t.WarmupRatio}; seed {seed}"));
        if (t.Precision is { } p && p != "fp32") info($"training.precision: {p} is not used: dlm trains in fp32");

        if (options.DryRun)
        {
            double seconds = EstimateSeconds(b, trainTokens, total, perEpoch);
            info(string.Create(ci, $"estimated time: {FormatDuration(seconds)} (6 x {new ParameterLayout(b.Config).Count / 1e6:F1}M parameters x tokens at half the measured GEMM rate)"));
            return new TrainOutcome(TrainOutcomeKind.DryRun, 0, null, null, total, seed, null, null);
        }

        var store = DocumentStore.At(fm.DlmId, options.Home);
        using var held = store.AcquireLock();
        if (held.BrokeStale is { } broke) info($"warning: {broke}");
        var manifest = store.OpenOrCreate(held, fm.BaseModel, Path.GetFullPath(document.Path), b.Resolved.Revision);
        manifest = CloseDeadRuns(store, held, manifest, info);
        if (b.Resolved.LicenseAccepted && manifest.LicenseAcceptance is null)
        {
            manifest = manifest with
            {
                LicenseAcceptance = new JsonObject
                {
                    ["accepted_at"] = Manifest.Time(DateTimeOffset.UtcNow),
                    ["base_model"] = fm.BaseModel,
                    ["license"] = b.Resolved.License,
                    ["repo"] = b.Resolved.Repo,
                    ["via"] = BaseModelResolver.AcceptLicenseFlag,
                },
            };
            store.WriteManifest(held, manifest);
        }

        var checkpoint = RunCheckpoint.Of(store);
        var saved = checkpoint.ReadProgress();
        int current = store.CurrentVersion();
        if (options.Resume)
        {
            if (saved is null) throw new DlmException($"nothing to resume: no interrupted run in {store.Root} (the last run finished or none started)");
            if (saved["fingerprint"]?.GetValue<string>() != rows.Fingerprint)
                throw new DlmException("cannot resume: the document's content changed since the interrupted run started; train without --resume");
            seed = saved["seed"]!.GetValue<long>();
            total = saved["total_steps"]!.GetValue<int>();
        }
        else
        {
            if (saved is not null)
                info($"warning: run {saved["run_id"]} was interrupted at its last checkpoint; starting a new run instead (pass --resume to continue it)");
            if (!options.Fresh && current > 0 && SameHashes(manifest.ContentHashes.Keys, rows.ContentHashes))
            {
                info($"unchanged: {AdapterVersionRecord.FolderName(current)} was trained on this content ({rows.ContentHashes.Count} section(s)); nothing to train (pass --fresh to train again)");
                return new TrainOutcome(TrainOutcomeKind.Unchanged, current, store.CurrentAdapterDir(), null, 0, seed, null, null);
            }
            if (current > 0)
            {
                var before = manifest.ContentHashes.Keys.ToHashSet(StringComparer.Ordinal);
                int added = rows.ContentHashes.Count(h => !before.Contains(h)), removed = before.Count(h => !rows.ContentHashes.Contains(h));
                info(options.Fresh
                    ? $"--fresh: training from the base alone (not {AdapterVersionRecord.FolderName(current)})"
                    : $"changed since {AdapterVersionRecord.FolderName(current)}: {added} new or edited section(s), {removed} gone; training on from {AdapterVersionRecord.FolderName(current)}");
            }
        }

        if (options.Resume) { } // the checkpoint is loaded below
        else checkpoint.Delete();
        var client = new LocalTrainingClient(new LocalTrainingOptions
        {
            BaseModel = b.Folder,
            LoraRank = t.LoraR,
            LoraAlpha = t.LoraAlpha,
            LoraDropout = (float)t.LoraDropout,
            LoraTargetModules = b.TargetModules(t.TargetModules),
            TokensPerMicroBatch = plan.MicroBatchSize * seqLen,
            CheckpointRoot = checkpoint.Dir,
            Seed = unchecked((ulong)seed),
            StateIncludesBaseWeights = false,
        });
        int start = 0;
        if (options.Resume)
        {
            client.LoadStateAsync(checkpoint.StatePath, withOptimizer: true, ct).GetAwaiter().GetResult();
            start = client.Step;
            info($"resuming run {saved!["run_id"]} at step {start} of {total}");
        }
        else if (!options.Fresh && current > 0)
        {
            var state = Path.Combine(store.CurrentAdapterDir()!, "training_state", "state.safetensors");
            if (!File.Exists(state)) throw new DlmException($"{AdapterVersionRecord.FolderName(current)} has no training state ({state}); pass --fresh to train from the base");
            try
            {
                client.LoadStateAsync(state, withOptimizer: false, ct).GetAwaiter().GetResult();
            }
            catch (Exception e) when (e is DlmException or ArgumentException)
            {
                throw new DlmException($"{AdapterVersionRecord.FolderName(current)}'s adapter does not fit the document's LoRA settings ({e.Message.Split('\n')[0]}); pass --fresh to train from the base");
            }
        }

        using var run = store.BeginRun(held, seed, b.Resolved.Revision);
        if (options.Resume) run.Log(new JsonObject { ["event"] = "resume", ["from_run"] = saved!["run_id"]!.DeepClone(), ["step"] = start });
        var schedule = new WarmupDecaySchedule(Shape(t.LrScheduler), (float)t.LearningRate, total, (int)Math.Ceiling(t.WarmupRatio * total));
        double? lastLoss = null, lastVal = null;
        int step = start;
        try
        {
            int[] order = [];
            int orderEpoch = -1;
            for (; step < total; step++)
            {
                ct.ThrowIfCancellationRequested();
                int epoch = step / perEpoch, inEpoch = step % perEpoch;
                if (epoch != orderEpoch)
                {
                    order = new NumpyGenerator(seed + epoch).Permutation(trainWindows.Count);
                    orderEpoch = epoch;
                }
                var batch = order.Skip(inEpoch * plan.RowsPerStep).Take(plan.RowsPerStep).Select(i => trainWindows[i]).ToList();
                var scaled = MeanWeighted(batch, out double lossTokens);
                var fb = client.ForwardBackwardAsync(scaled, LossFunctions.CrossEntropy, ct).GetAwaiter().GetResult();
                double lr = schedule.AtDouble(step);
                var opt = client.OptimStepAsync(Adam(lr), ct).GetAwaiter().GetResult();
                double loss = fb.Metrics[ForwardBackwardOutput.LossSumKey];
                lastLoss = loss;
                bool epochEnd = inEpoch == perEpoch - 1 || step == total - 1;
                double? val = null;
                if (epochEnd && valWindows.Count > 0) lastVal = val = ValidationLoss(client, valWindows, ct);
                run.Log(new JsonObject
                {
                    ["step"] = step + 1,
                    ["epoch"] = epoch + 1,
                    ["loss"] = loss,
                    ["learning_rate"] = lr,
                    ["grad_norm"] = opt.Metrics.GetValueOrDefault("grad_norm"),
                    ["sequences"] = batch.Count,
                    ["tokens"] = batch.Sum(d => d.ModelInput.Length),
                    ["loss_tokens"] = lossTokens,
                    ["val_loss"] = val,
                });
                progress?.Report(new TrainStepReport(step + 1, total, epoch + 1, loss, lr, val));
                if (step + 1 < total && ((step + 1) % Math.Max(1, options.CheckpointEvery) == 0 || epochEnd))
                {
                    client.SaveStateAsync("state", ct).GetAwaiter().GetResult();
                    checkpoint.WriteProgress(new JsonObject
                    {
                        ["run_id"] = run.RunId,
                        ["step"] = step + 1,
                        ["total_steps"] = total,
                        ["seed"] = seed,
                        ["fingerprint"] = rows.Fingerprint,
                    });
                }
            }

            var adapterDir = client.SaveWeightsForSamplerAsync("final", ct).GetAwaiter().GetResult();
            var finalState = client.SaveStateAsync("final", ct).GetAwaiter().GetResult();
            var stateDir = Path.Combine(adapterDir, "training_state");
            Directory.CreateDirectory(stateDir);
            File.Copy(finalState, Path.Combine(stateDir, "state.safetensors"), overwrite: true);
            StoreJson.WriteAtomic(Path.Combine(stateDir, "trainer_state.json"), new JsonObject
            {
                ["run_id"] = run.RunId,
                ["steps"] = total,
                ["seed"] = seed,
                ["fingerprint"] = rows.Fingerprint,
                ["final_train_loss"] = lastLoss,
                ["final_val_loss"] = lastVal,
                ["lora_r"] = t.LoraR,
                ["lora_alpha"] = t.LoraAlpha,
                ["lora_dropout"] = t.LoraDropout,
                ["learning_rate"] = t.LearningRate,
                ["lr_scheduler"] = t.LrScheduler,
                ["micro_batch_size"] = plan.MicroBatchSize,
                ["grad_accum"] = plan.GradAccum,
                ["sequence_len"] = seqLen,
            });
            var commit = run.CommitAdapter(adapterDir);
            if (commit.Rejected)
            {
                run.End(RunStatus.Failed, total, lastLoss, lastVal);
                throw new DlmException($"the trained adapter holds a non-finite value ({commit.Reason}); kept as {commit.Dir}, {(current > 0 ? AdapterVersionRecord.FolderName(current) : "no version")} stays current");
            }
            var m = store.ReadManifest();
            store.WriteManifest(held, m with { ContentHashes = rows.ContentHashes.ToDictionary(h => h, h => h, StringComparer.Ordinal), UpdatedAt = DateTimeOffset.UtcNow });
            run.End(RunStatus.Completed, total, lastLoss, lastVal);
            checkpoint.Delete();
            return new TrainOutcome(TrainOutcomeKind.Trained, commit.Version, commit.Dir, run.LogPath, total, seed, lastLoss, lastVal);
        }
        catch (OperationCanceledException)
        {
            run.End(RunStatus.Cancelled, step, lastLoss, lastVal);
            throw new DlmException($"cancelled at step {step} of {total}; {(checkpoint.ReadProgress() is null ? "no checkpoint yet" : "dlm train --resume continues from the last checkpoint")}");
        }
    }

    /// <summary>The folder relative paths of a document anchor on: its own, or its parent for <c>DIR/.dlm/x.dlm</c>.</summary>
    public static string AnchorDir(string documentPath)
    {
        var dir = Path.GetDirectoryName(Path.GetFullPath(documentPath))!;
        return Path.GetFileName(dir) == ".dlm" ? Path.GetDirectoryName(dir)! : dir;
    }

    // Each datum's weights divided by the batch's total weight: the client's token sum is then the mean.
    private static List<Datum> MeanWeighted(List<Datum> batch, out double total)
    {
        total = 0;
        foreach (var d in batch) foreach (var w in d.Weights) total += w;
        float scale = total > 0 ? (float)(1.0 / total) : 0f;
        var result = new List<Datum>(batch.Count);
        foreach (var d in batch)
        {
            var w = d.Weights.ToArray();
            for (int i = 0; i < w.Length; i++) w[i] *= scale;
            result.Add(new Datum(d.ModelInput, new Dictionary<string, TensorData>
            {
                [Datum.TargetTokensKey] = d.LossFnInputs[Datum.TargetTokensKey],
                [Datum.WeightsKey] = TensorData.FromFloat32(w),
            }));
        }
        return result;
    }

    /// <summary>Mean NLL per trained token of <paramref name="windows"/> (forward only, no dropout).</summary>
    public static double ValidationLoss(ITrainingClient client, IReadOnlyList<Datum> windows, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(windows);
        double weight = 0;
        foreach (var d in windows) foreach (var w in d.Weights) weight += w;
        var r = client.ForwardAsync(windows, LossFunctions.CrossEntropy, ct).GetAwaiter().GetResult();
        return weight > 0 ? r.Metrics[ForwardBackwardOutput.LossSumKey] / weight : double.NaN;
    }

    private static DecayShape Shape(string scheduler) => scheduler switch
    {
        "linear" => DecayShape.Linear,
        "constant" => DecayShape.Constant,
        _ => DecayShape.Cosine,
    };

    private static bool SameHashes(IEnumerable<string> a, IReadOnlyList<string> b) =>
        a.Order(StringComparer.Ordinal).SequenceEqual(b.Order(StringComparer.Ordinal), StringComparer.Ordinal);

    // Runs still "running" while we hold the lock belong to a dead process (a kill, a crash): cancelled.
    private static Manifest CloseDeadRuns(DocumentStore store, StoreLock held, Manifest m, Action<string> info)
    {
        if (!m.TrainingRuns.Any(r => r.Status == RunStatus.Running)) return m;
        var now = DateTimeOffset.UtcNow;
        foreach (var r in m.TrainingRuns.Where(r => r.Status == RunStatus.Running))
            info($"run {r.RunId} (started {Manifest.Time(r.StartedAt)}) did not finish: recorded as cancelled");
        m = m with
        {
            TrainingRuns = [.. m.TrainingRuns.Select(r => r.Status == RunStatus.Running ? r with { Status = RunStatus.Cancelled, EndedAt = now } : r)],
            UpdatedAt = now,
        };
        store.WriteManifest(held, m);
        return m;
    }

    private static double EstimateSeconds(DocumentBase b, long trainTokens, int totalSteps, int perEpoch)
    {
        double epochs = perEpoch == 0 ? 0 : (double)totalSteps / perEpoch;
        double flops = 6.0 * new ParameterLayout(b.Config).Count * trainTokens * epochs;
        double rate = GemmRate.Measure(GemmBackends.Default, 256, 0.1) * 1e9;
        return flops / (0.5 * rate);
    }

    private static string FormatDuration(double seconds) =>
        seconds < 60 ? string.Create(CultureInfo.InvariantCulture, $"{seconds:F0} s")
        : seconds < 3600 ? string.Create(CultureInfo.InvariantCulture, $"{seconds / 60:F1} min")
        : string.Create(CultureInfo.InvariantCulture, $"{seconds / 3600:F1} h");
}
