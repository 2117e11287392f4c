using System.Diagnostics;
using Dlm.Core;

namespace Dlm.Models.Training;

/// <summary>One round of <see cref="TrainBenchmark.RunMaskedVsFull"/>: the same steps fully weighted and half weighted, back to back.</summary>
/// <param name="FullFirst">Whether the full batch ran first in this round (the order alternates).</param>
/// <param name="FullStepMs">Mean wall time of a fully weighted step.</param>
/// <param name="MaskedStepMs">Mean wall time of a step with the first half of every sequence at weight 0.</param>
/// <param name="FullCpuS">Process CPU seconds per full step.</param>
/// <param name="MaskedCpuS">Process CPU seconds per masked step.</param>
/// <param name="Ratio">FullStepMs / MaskedStepMs: how many times faster the masked step ran.</param>
/// <param name="CpuRatio">FullCpuS / MaskedCpuS.</param>
/// <param name="Full">Where the full steps' time went in this round.</param>
/// <param name="Masked">Where the masked steps' time went in this round.</param>
public sealed record MaskedPairRound(bool FullFirst, double FullStepMs, double MaskedStepMs, double FullCpuS, double MaskedCpuS, double Ratio, double CpuRatio,
    MaskedHalf? Full = null, MaskedHalf? Masked = null);

/// <summary>Where one half of a <see cref="MaskedPairRound"/> spent its time, per step, and what else happened in the process meanwhile.</summary>
/// <param name="PhaseMs">Mean milliseconds per step in each phase (as <see cref="TrainBenchmarkResult.PhaseMs"/>).</param>
/// <param name="JitMethods">Methods the JIT compiled during the half (any thread: tier-ups of hot methods included).</param>
/// <param name="JitMs">Milliseconds the JIT spent compiling during the half (any thread).</param>
/// <param name="Collections">Garbage collections during the half (all generations).</param>
/// <param name="SubnormalGradients">Subnormal floats in the trainable gradients after the half's last backward pass.</param>
/// <param name="SubnormalMoments">Subnormal floats in AdamW's two moments after the half.</param>
/// <param name="SubnormalWeights">Subnormal floats in the trainable weights after the half.</param>
/// <param name="OtherCpuS">CPU seconds per step that other processes used meanwhile (the machine's busy time less this process's; Linux, else NaN).</param>
/// <param name="StealS">Seconds per step the hypervisor gave the machine's cores to others (steal, all cores; Linux, else NaN).</param>
/// <param name="ProbeGflops">One core's rate on a fixed in-cache product (<see cref="SpeedProbe"/>) just before and just after the half.</param>
public sealed record MaskedHalf(IReadOnlyDictionary<string, double> PhaseMs, long JitMethods, double JitMs, int Collections,
    long SubnormalGradients, long SubnormalMoments, long SubnormalWeights, double? OtherCpuS = null, double? StealS = null,
    IReadOnlyList<double>? ProbeGflops = null);

/// <summary>What <c>dlm bench train --masked-vs-full</c> measured.</summary>
/// <param name="Preset">Preset name.</param>
/// <param name="Batch">Sequences per step.</param>
/// <param name="SeqLen">Tokens per sequence.</param>
/// <param name="Threads">Threads of the step's pool.</param>
/// <param name="Lora">The adapters trained, or empty for full training.</param>
/// <param name="StepsPerHalf">Timed steps of each kind per round.</param>
/// <param name="MedianRatio">Median over the rounds of full / masked wall time per step.</param>
/// <param name="MedianCpuRatio">Median over the rounds of full / masked CPU time per step.</param>
/// <param name="FullTokensPerSec">Tokens per second of the full step, from the median of its rounds.</param>
/// <param name="MaskedTokensPerSec">Tokens per second of the masked step (all B·T tokens counted), from the median of its rounds.</param>
/// <param name="AllocBytesPerStep">Managed bytes allocated per timed step, all threads, both kinds.</param>
/// <param name="LoadAvg1m">The 1-minute load average before and after (Linux; empty elsewhere).</param>
/// <param name="Rounds">Every round.</param>
/// <param name="Gemm">GEMM backend name.</param>
/// <param name="GemmChoices">Under the per-shape GEMM: the backend each class of product shapes ran on, with the times that chose it (null otherwise).</param>
public sealed record MaskedVsFullResult(string Preset, int Batch, int SeqLen, int Threads, string Lora, int StepsPerHalf,
    double MedianRatio, double MedianCpuRatio, double FullTokensPerSec, double MaskedTokensPerSec, double AllocBytesPerStep,
    IReadOnlyList<double> LoadAvg1m, IReadOnlyList<MaskedPairRound> Rounds, string Gemm = "", IReadOnlyList<Dlm.Numerics.Gemm.GemmShapeChoice>? GemmChoices = null);

public static partial class TrainBenchmark
{
    /// <summary>
    /// Times the fully weighted batch against the same batch with the first half of every sequence at
    /// weight 0, on one model in one process, in <paramref name="rounds"/> rounds of
    /// <paramref name="stepsPerHalf"/> steps of each (the order alternating from round to round, after
    /// <paramref name="warmup"/> untimed steps of each), so that a change of load between the two falls
    /// into one round rather than into the figure: the median of the rounds' ratios is the result.
    /// </summary>
    public static MaskedVsFullResult RunMaskedVsFull(string preset, int rounds = 7, int stepsPerHalf = 2, int warmup = 1, Action<string>? progress = null,
        bool lora = false, int? seq = null, int? batch = null, int? threads = null)
    {
        if (rounds <= 0 || stepsPerHalf <= 0 || warmup < 0) throw new Core.DlmException("rounds and steps must be positive and warmup not negative");
        using var setup = Setup.Create(preset, lora, seq, batch, threads, progress);
        var model = setup.Model;
        int b = setup.Batch, t = setup.Seq, n = b * t;
        var (tokens, targets, full, half) = setup.Batches();
        (double Loss, long OptimizerTicks) Step(float[] weights)
        {
            model.ZeroGradients();
            var loss = model.Forward(tokens, targets, weights, b, t, training: true);
            model.Backward((float)(1.0 / loss.WeightSum));
            long o0 = Stopwatch.GetTimestamp();
            setup.Trainer.ApplyUpdate(loss.Mean);
            return (loss.Mean, Stopwatch.GetTimestamp() - o0);
        }
        for (int s = 0; s < warmup; s++)
        {
            progress?.Invoke($"warmup {s + 1}/{warmup}: full loss {Step(full).Loss:F4}, masked loss {Step(half).Loss:F4}");
        }
        long allocated = 0;
        using var probe = new SpeedProbe();
        (double Ms, double Cpu, MaskedHalf Detail) Half(float[] weights)
        {
            double probeBefore = probe.Measure();
            model.ResetProfile();
            long optTicks = 0;
            long jit0 = System.Runtime.JitInfo.GetCompiledMethodCount();
            var jitTime0 = System.Runtime.JitInfo.GetCompilationTime();
            int gc0 = GC.CollectionCount(0); // every collection counts in generation 0's count, whatever its generation
            var machine0 = MachineCpu.Read();
            var cpu0 = Process.GetCurrentProcess().TotalProcessorTime;
            long t0 = Stopwatch.GetTimestamp();
            for (int s = 0; s < stepsPerHalf; s++)
            {
                long a0 = GC.GetTotalAllocatedBytes(precise: true);
                optTicks += Step(weights).OptimizerTicks;
                allocated += GC.GetTotalAllocatedBytes(precise: true) - a0;
            }
            double ms = Stopwatch.GetElapsedTime(t0).TotalMilliseconds / stepsPerHalf;
            double cpu = (Process.GetCurrentProcess().TotalProcessorTime - cpu0).TotalSeconds / stepsPerHalf;
            var machine1 = MachineCpu.Read();
            double probeAfter = probe.Measure();
            var phases = new SortedDictionary<string, double>(StringComparer.Ordinal);
            foreach (var (name, sec) in model.Profile()) phases[name] = Math.Round(sec * 1000 / stepsPerHalf, 2);
            phases["optimizer"] = Math.Round(optTicks * 1000.0 / Stopwatch.Frequency / stepsPerHalf, 2);
            var detail = new MaskedHalf(phases, System.Runtime.JitInfo.GetCompiledMethodCount() - jit0,
                Math.Round((System.Runtime.JitInfo.GetCompilationTime() - jitTime0).TotalMilliseconds, 1),
                GC.CollectionCount(0) - gc0,
                Subnormals.Count(model.TrainableGradients), Subnormals.Count(setup.Trainer.M) + Subnormals.Count(setup.Trainer.V),
                Subnormals.Count(model.TrainableWeights),
                double.IsNaN(machine0.Busy) ? null : Math.Round((machine1.Busy - machine0.Busy) / stepsPerHalf - cpu, 3),
                double.IsNaN(machine0.Steal) ? null : Math.Round((machine1.Steal - machine0.Steal) / stepsPerHalf, 3),
                [probeBefore, probeAfter]);
            return (ms, cpu, detail);
        }
        double loadBefore = LoadAverage();
        var list = new List<MaskedPairRound>();
        for (int r = 0; r < rounds; r++)
        {
            bool fullFirst = r % 2 == 0;
            var first = Half(fullFirst ? full : half);
            var second = Half(fullFirst ? half : full);
            var (f, m) = fullFirst ? (first, second) : (second, first);
            var round = new MaskedPairRound(fullFirst, f.Ms, m.Ms, f.Cpu, m.Cpu, f.Ms / m.Ms, f.Cpu / m.Cpu, f.Detail, m.Detail);
            list.Add(round);
            progress?.Invoke(string.Create(System.Globalization.CultureInfo.InvariantCulture,
                $"round {r + 1}/{rounds}: full {f.Ms:F0} ms, masked {m.Ms:F0} ms a step: {round.Ratio:F3}x (CPU {round.CpuRatio:F3}x)"));
        }
        double loadAfter = LoadAverage();
        return new MaskedVsFullResult(preset, b, t, model.Pool.Threads, lora ? LoraDescription : "", stepsPerHalf,
            Statistics.Median(list.Select(x => x.Ratio)), Statistics.Median(list.Select(x => x.CpuRatio)),
            n / (Statistics.Median(list.Select(x => x.FullStepMs)) / 1000), n / (Statistics.Median(list.Select(x => x.MaskedStepMs)) / 1000),
            allocated / (2.0 * rounds * stepsPerHalf), double.IsNaN(loadBefore) ? [] : [loadBefore, loadAfter], list,
            model.Gemm.Name, (model.Gemm as Dlm.Numerics.Gemm.PerShapeGemm)?.Choices);
    }
}
