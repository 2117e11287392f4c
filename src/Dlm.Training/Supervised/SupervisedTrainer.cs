using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Dlm.Chat;
using Dlm.Core;
using Dlm.Core.Config;
using Dlm.Training.Client;
using Dlm.Training.Datasets;

namespace Dlm.Training.Supervised;

/// <summary>How a run meets its surroundings.</summary>
public sealed record SupervisedRunOptions
{
    /// <summary>Where progress goes; null shows nothing.</summary>
    public ConsoleTrainingView? View { get; init; }

    /// <summary>Answers to the <c>ask</c> prompt.</summary>
    public TextReader Input { get; init; } = TextReader.Null;

    /// <summary>Whether a person can answer the prompt (a terminal on stdin and stdout).</summary>
    public bool Interactive { get; init; }

    /// <summary>Builds the client; null makes a <see cref="LocalTrainingClient"/> from the config.</summary>
    public Func<SupervisedConfig, ITrainingClient>? ClientFactory { get; init; }

    /// <summary>Data to use instead of the config's builder (benchmarks).</summary>
    public DatasetPair? Datasets { get; init; }

    /// <summary>Draw loss.png at the end.</summary>
    public bool Plot { get; init; } = true;
}

/// <summary>What a run did.</summary>
/// <param name="Decision">Fresh start, resume, or the user chose to exit.</param>
/// <param name="StepsRun">Steps this process trained.</param>
/// <param name="TotalSteps">Steps of the whole run.</param>
/// <param name="FinalSamplerPath">The final sampler weights, when the run finished.</param>
public sealed record SupervisedRunResult(LogDirDecision Decision, int StepsRun, int TotalSteps, string? FinalSamplerPath);

/// <summary>
/// The supervised loop (tinker-cookbook <c>supervised/train.py</c>, shared/REFERENCE.md R3). Per
/// step s of S: the learning rate (base × schedule multiplier), the batch, the coloured first
/// datum, the test NLL when <c>s % eval_every == 0</c> (before the step's update), forward-backward
/// with <c>cross_entropy</c> and an Adam step; every <c>save_every</c> steps after the update a
/// checkpoint <c>{s:06d}</c> whose <c>checkpoints.jsonl</c> row names the NEXT batch, so a resumed
/// run replays nothing; at the end a <c>final</c> checkpoint and <c>loss.png</c>.
/// </summary>
public static class SupervisedTrainer
{
    /// <summary>Runs (or resumes) the loop described by <paramref name="config"/>.</summary>
    public static async Task<SupervisedRunResult> RunAsync(SupervisedConfig config, SupervisedRunOptions options, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(options);
        Validate(config);
        // The model is found before the log directory is touched, so a wrong model_name leaves nothing behind.
        var model = options.ClientFactory is null ? ModelLocator.Resolve(config.ModelName) : config.ModelName;
        var logPath = Path.GetFullPath(config.LogPath);
        var decision = LogDirectory.Check(logPath, config.BehaviorIfLogDirExists, options.Interactive, options.Input, options.View is null ? TextWriter.Null : Console.Out);
        if (decision == LogDirDecision.Exit) return new SupervisedRunResult(decision, 0, 0, null);
        Directory.CreateDirectory(logPath);
        var view = options.View;
        using var log = new TrainLog(logPath, view is null ? null : view.Message);
        AtomicFile.WriteAllText(Path.Combine(logPath, "config.json"),
            ConfigBinder.ToJson(config).ToJsonString(new JsonSerializerOptions { WriteIndented = true, IndentSize = 2 }) + "\n");

        var client = options.ClientFactory?.Invoke(config) ?? CreateClient(config, model, logPath);
        var info = client.GetInfo();
        log.Info(string.Create(CultureInfo.InvariantCulture,
            $"Training {info.ModelName} ({info.ModelType}, {info.Parameters:N0} parameters, {(info.LoraRank > 0 ? $"LoRA rank {info.LoraRank}, " : "full fine-tuning, ")}{info.TrainableParameters:N0} trainable)"));
        var datasets = options.Datasets ?? config.DatasetBuilder.Build(new DatasetContext(config.ModelName, client.GetTokenizer()));
        var train = datasets.Train;
        int nBatches = train.Count;
        if (nBatches == 0) throw new DlmException($"the training set has fewer rows than batch_size ({config.DatasetBuilder.CommonConfig.BatchSize}): no batch to train on");
        int total = nBatches * config.NumEpochs;
        IReadOnlyList<Datum>? testData = null;

        int startEpoch = 0, startBatch = 0;
        var resumeRow = decision == LogDirDecision.Resume ? CheckpointLog.LastResumable(logPath) : null;
        if (resumeRow is not null)
        {
            await client.LoadStateAsync(resumeRow.StatePath!, withOptimizer: true, ct).ConfigureAwait(false);
            (startEpoch, startBatch) = (resumeRow.Epoch, resumeRow.Batch);
            log.Info($"Resuming from checkpoint {resumeRow.Name}: epoch {startEpoch}, batch {startBatch}");
        }
        else if (config.LoadCheckpointPath is { } load)
        {
            await client.LoadStateAsync(load, withOptimizer: false, ct).ConfigureAwait(false);
            log.Info($"Loaded weights from {load}");
        }
        log.Info($"Training for {nBatches} batches x {config.NumEpochs} epochs = {total} steps");

        var stepTimes = new List<double>();
        int run = 0;
        for (int epoch = startEpoch; epoch < config.NumEpochs; epoch++)
        {
            log.Info($"Starting epoch {epoch}");
            train.SetEpoch(epoch);
            for (int batch = epoch == startEpoch ? startBatch : 0; batch < nBatches; batch++)
            {
                ct.ThrowIfCancellationRequested();
                int step = epoch * nBatches + batch;
                view?.StepStarted(step, total);
                var clock = Stopwatch.StartNew();
                double lr = config.LearningRate * LearningRateSchedule.Multiplier(config.LrSchedule, step, total);
                var adam = new AdamParams { LearningRate = lr, Beta1 = config.AdamBeta1, Beta2 = config.AdamBeta2, Eps = config.AdamEps };

                var t = Stopwatch.StartNew();
                var data = train.GetBatch(batch);
                double timeGetBatch = t.Elapsed.TotalSeconds;
                if (data.Count > 0 && view is not null) view.Datum(data[0], client.GetTokenizer());

                double? timeEvals = null, testNll = null;
                if (config.EvalEvery > 0 && step % config.EvalEvery == 0 && datasets.Test is { } test)
                {
                    t.Restart();
                    testData ??= Enumerable.Range(0, test.Count).SelectMany(test.GetBatch).ToList();
                    var fwd = await client.ForwardAsync(testData, LossFunctions.CrossEntropy, ct).ConfigureAwait(false);
                    testNll = MeanNll(fwd, testData);
                    timeEvals = t.Elapsed.TotalSeconds;
                }

                t.Restart();
                var result = await client.ForwardBackwardAsync(data, LossFunctions.CrossEntropy, ct).ConfigureAwait(false);
                await client.OptimStepAsync(adam, ct).ConfigureAwait(false);
                double timeStep = t.Elapsed.TotalSeconds;

                double? timeSave = null;
                if (config.SaveEvery > 0 && step % config.SaveEvery == 0 && step > 0)
                {
                    t.Restart();
                    // Saved after this step's update, so the row names the batch after it.
                    var (nextEpoch, nextBatch) = batch + 1 < nBatches ? (epoch, batch + 1) : (epoch + 1, 0);
                    await SaveAsync(client, log, logPath, step.ToString("D6", CultureInfo.InvariantCulture), nextEpoch, nextBatch, ct).ConfigureAwait(false);
                    timeSave = t.Elapsed.TotalSeconds;
                }

                var metrics = new List<KeyValuePair<string, double>>
                {
                    new("step", step),
                    new("epoch", epoch),
                    new("progress", (step + 1) / (double)total),
                    new("learning_rate", lr),
                    new("time/get_batch", timeGetBatch),
                };
                if (timeEvals is { } te) metrics.Add(new("time/evals", te));
                if (timeSave is { } ts) metrics.Add(new("time/save_checkpoint", ts));
                metrics.Add(new("time/step", timeStep));
                metrics.Add(new("num_sequences", data.Count));
                metrics.Add(new("num_tokens", data.Sum(d => (double)d.ModelInput.Length)));
                metrics.Add(new("num_loss_tokens", data.Sum(d => SumWeights(d))));
                metrics.Add(new("train_mean_nll", MeanNll(result, data)));
                metrics.Add(new("time/total", clock.Elapsed.TotalSeconds));
                if (testNll is { } nll) metrics.Add(new("test/nll", nll));
                MetricsLog.Append(logPath, metrics);
                run++;
                stepTimes.Add(clock.Elapsed.TotalSeconds);
                var recent = stepTimes.TakeLast(10).Average();
                view?.Step(step, total, metrics, TimeSpan.FromSeconds(recent * (total - step - 1)));
            }
        }
        view?.Done();
        var final = await SaveAsync(client, log, logPath, "final", config.NumEpochs, nBatches, ct).ConfigureAwait(false);
        if (options.Plot)
        {
            try
            {
                log.Info($"Wrote {LossPlot.Write(logPath)}");
            }
            catch (Exception e) when (e is DllNotFoundException or TypeInitializationException or IOException)
            {
                log.Warning($"could not draw {LossPlot.FileName}: {e.Message}");
            }
        }
        log.Info($"Training completed: {run} steps run, final sampler weights in {final}");
        return new SupervisedRunResult(decision, run, total, final);
    }

    private static void Validate(SupervisedConfig c)
    {
        if (c.NumEpochs <= 0) throw new DlmException($"num_epochs must be positive, not {c.NumEpochs}");
        if (c.SaveEvery < 0 || c.EvalEvery < 0) throw new DlmException("save_every and eval_every must be 0 (off) or positive");
        if (!(c.LearningRate >= 0)) throw new DlmException($"learning_rate must be >= 0, not {c.LearningRate}");
        if (c.DatasetBuilder is null) throw new DlmException("dataset_builder is required");
    }

    private static LocalTrainingClient CreateClient(SupervisedConfig config, string model, string logPath)
    {
        return new LocalTrainingClient(new LocalTrainingOptions
        {
            BaseModel = model,
            TokenizerPath = ModelPresets.IsPreset(model) ? config.DatasetBuilder.CommonConfig.ModelNameForTokenizer : null,
            LoraRank = config.LoraRank,
            TokensPerMicroBatch = config.TokensPerMicroBatch,
            CheckpointRoot = logPath,
            Seed = (ulong)config.Seed,
        });
    }

    private static async Task<string> SaveAsync(ITrainingClient client, TrainLog log, string logPath, string name, int epoch, int batch, CancellationToken ct)
    {
        var state = await client.SaveStateAsync(name, ct).ConfigureAwait(false);
        var sampler = await client.SaveWeightsForSamplerAsync(name, ct).ConfigureAwait(false);
        CheckpointLog.Append(logPath, new CheckpointRow(name, epoch, batch, state, sampler));
        log.Info($"Saved checkpoint {name} (resumes at epoch {epoch}, batch {batch})");
        return sampler;
    }

    private static double SumWeights(Datum d)
    {
        double s = 0;
        foreach (var w in d.Weights) s += w;
        return s;
    }

    /// <summary>−Σ logp·w / Σ w over the datums (NaN when nothing is weighted).</summary>
    public static double MeanNll(ForwardBackwardOutput output, IReadOnlyList<Datum> data)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(data);
        double sum = 0, weight = 0;
        for (int i = 0; i < data.Count; i++)
        {
            var lp = output.Logprobs(i);
            var w = data[i].Weights;
            for (int k = 0; k < w.Length; k++)
            {
                sum -= lp[k] * (double)w[k];
                weight += w[k];
            }
        }
        return weight > 0 ? sum / weight : double.NaN;
    }
}
