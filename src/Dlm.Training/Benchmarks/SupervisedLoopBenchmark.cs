using System.Diagnostics;
using Dlm.Chat;
using Dlm.Core;
using Dlm.Models.Training;
using Dlm.Training.Client;
using Dlm.Training.Datasets;
using Dlm.Training.Supervised;

namespace Dlm.Training.Benchmarks;

/// <summary>What <c>dlm bench sl</c> measured.</summary>
/// <param name="Preset">Model shape (a <c>bench train</c> preset).</param>
/// <param name="Datums">Datums per step.</param>
/// <param name="MinLength">Shortest datum.</param>
/// <param name="MaxLength">Longest datum.</param>
/// <param name="TokensPerStep">Non-padding tokens per step.</param>
/// <param name="PaddedTokensPerStep">Positions the packed micro-batches compute per step.</param>
/// <param name="MicroBatches">Micro-batches per step.</param>
/// <param name="LoopSteps">Timed loop steps.</param>
/// <param name="LoopTokensPerSec">Non-padding tokens per second of the loop (time/total of each timed step).</param>
/// <param name="TrainSteps">Timed <c>bench train</c> steps (about the same token count).</param>
/// <param name="TrainTokensPerSec"><c>bench train</c>'s tokens per second for the same shape, in the same process.</param>
/// <param name="Ratio">LoopTokensPerSec / TrainTokensPerSec.</param>
/// <param name="PaddingFraction">Padded positions that carry no datum token.</param>
/// <param name="TrainAllocBytesPerStep"><c>bench train</c>'s managed bytes per engine step.</param>
/// <param name="LoadAvg1m">1-minute load average before and after.</param>
public sealed record SupervisedLoopBenchmarkResult(string Preset, int Datums, int MinLength, int MaxLength, long TokensPerStep,
    long PaddedTokensPerStep, int MicroBatches, int LoopSteps, double LoopTokensPerSec, int TrainSteps, double TrainTokensPerSec, double Ratio,
    double PaddingFraction, double TrainAllocBytesPerStep, IReadOnlyList<double> LoadAvg1m);

/// <summary>
/// Times the supervised loop (<see cref="SupervisedTrainer"/> through <see cref="LocalTrainingClient"/>:
/// packing, forward-backward, Adam, metrics) on datums of mixed lengths spread over
/// [context/16, context] tokens, against <see cref="TrainBenchmark"/> on the same model shape and
/// about the same number of tokens, in the same process.
/// </summary>
public static class SupervisedLoopBenchmark
{
    private sealed class SameBatch(IReadOnlyList<Datum> batch, int count) : ISupervisedDataset
    {
        public int Count => count;

        public IReadOnlyList<Datum> GetBatch(int index) => batch;

        public void SetEpoch(int seed) { }
    }

    /// <summary>Runs one untimed and <paramref name="steps"/> timed loop steps, then <c>bench train</c> on the same shape.</summary>
    public static async Task<SupervisedLoopBenchmarkResult> RunAsync(string preset = "niels-t512", int datums = 64, int steps = 2,
        Action<string>? progress = null, CancellationToken ct = default)
    {
        if (datums <= 0 || steps <= 0) throw new DlmException("datums and steps must be positive");
        var (config, _) = TrainBenchmark.Preset(preset);
        int maxLen = config.ContextLength, minLen = Math.Max(2, maxLen / 16);
        var rng = new System.Random(0);
        var batch = Enumerable.Range(0, datums).Select(_ =>
        {
            int len = rng.Next(minLen, maxLen + 1);
            var tokens = Enumerable.Range(0, len + 1).Select(_ => rng.Next(config.VocabSize)).ToArray();
            var weights = Enumerable.Repeat(1f, len + 1).ToArray();
            return DatumBuilder.FromModelInputWeights(ModelInput.FromInts(tokens), weights);
        }).ToList();
        var lengths = batch.Select(d => d.ModelInput.Length).ToList();
        long tokensPerStep = lengths.Sum(l => (long)l);
        const int budget = 4096;
        var packed = MicroBatchPacker.Pack(lengths, Math.Max(budget, maxLen));
        long padded = packed.Sum(m => (long)m.PaddedTokens);

        double load0 = LoadAverage();
        var dir = Path.Combine(Path.GetTempPath(), $"dlm-bench-sl-{Environment.ProcessId}");
        SupervisedConfig loop = new()
        {
            LogPath = dir,
            ModelName = "preset:" + preset,
            LoraRank = 0,
            EvalEvery = 0,
            SaveEvery = 0,
            LearningRate = 3e-4,
            TokensPerMicroBatch = budget,
            BehaviorIfLogDirExists = LogDirBehavior.Delete,
        };
        double loopTps;
        try
        {
            progress?.Invoke($"loop: {datums} datums of {minLen}..{maxLen} tokens ({tokensPerStep} tokens, {packed.Count} micro-batches, {padded - tokensPerStep} padding), {steps + 1} steps");
            await SupervisedTrainer.RunAsync(loop, new SupervisedRunOptions
            {
                ClientFactory = c => new LocalTrainingClient(new LocalTrainingOptions
                {
                    BaseModel = c.ModelName, ModelConfig = config, CheckpointRoot = dir, TokensPerMicroBatch = budget,
                }),
                Datasets = new DatasetPair(new SameBatch(batch, steps + 1), null),
                Plot = false,
            }, ct).ConfigureAwait(false);
            var rows = MetricsLog.Read(dir).Skip(1).ToList(); // the first step warms up
            loopTps = rows.Sum(r => r["num_tokens"]) / rows.Sum(r => r["time/total"]);
            progress?.Invoke($"loop: {loopTps:F0} tokens/s");
        }
        finally
        {
            if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        }
        GC.Collect();
        var (_, b) = TrainBenchmark.Preset(preset);
        int trainSteps = (int)Math.Max(1, Math.Round(tokensPerStep * (double)steps / (b * config.ContextLength)));
        var train = TrainBenchmark.Run(preset, trainSteps, 1, progress is null ? null : m => progress("bench train: " + m));
        double load1 = LoadAverage();
        return new SupervisedLoopBenchmarkResult(preset, datums, minLen, maxLen, tokensPerStep, padded, packed.Count, steps, loopTps,
            trainSteps, train.TokensPerSec, loopTps / train.TokensPerSec, (padded - tokensPerStep) / (double)padded, train.AllocBytesPerStep,
            double.IsNaN(load0) ? [] : [load0, load1]);
    }

    private static double LoadAverage()
    {
        try
        {
            return double.Parse(File.ReadAllText("/proc/loadavg").Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return double.NaN;
        }
    }
}
