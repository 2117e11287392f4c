using System.Diagnostics;
using System.Text.Json.Nodes;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LibTorchTrain;

/// <summary>
/// bench_torch.py's time_steps and step_fields: warmup + steps training steps (forward with the mean
/// cross-entropy, backward, clip_grad_norm_(1.0), AdamW) on seeded random token windows, each step
/// and its phases timed; then the JSON fields every baseline reports the same way.
/// </summary>
internal static class StepLoop
{
    public static JsonObject Run(nn.Module<Tensor, Tensor> model, optim.Optimizer opt, IList<Parameter> trainable, long vocab, int b, int t,
        int seed, int warmup, int steps, double flopsPerToken)
    {
        var gen = new Generator().manual_seed(seed + 1);
        var phases = new Dictionary<string, List<double>> { ["forward"] = [], ["backward"] = [], ["optimizer"] = [] };
        var losses = new List<double>();
        var times = new List<double>();
        var cpuTimes = new List<double>();
        double loadBefore = Native.LoadAverage();
        for (int i = 0; i < warmup + steps; i++)
        {
            long s0 = Stopwatch.GetTimestamp();
            var c0 = Process.GetCurrentProcess().TotalProcessorTime;
            double loss;
            using (var scope = NewDisposeScope())
            {
                var window = randint(0, vocab, [b, t + 1], generator: gen);
                var x = window.narrow(1, 0, t);
                var y = window.narrow(1, 1, t);
                long p0 = Stopwatch.GetTimestamp();
                opt.zero_grad();
                var l = nn.functional.cross_entropy(model.forward(x).reshape(-1, vocab), y.reshape(-1));
                long p1 = Stopwatch.GetTimestamp();
                l.backward();
                long p2 = Stopwatch.GetTimestamp();
                nn.utils.clip_grad_norm_(trainable, 1.0);
                opt.step();
                long p3 = Stopwatch.GetTimestamp();
                phases["forward"].Add(Stopwatch.GetElapsedTime(p0, p1).TotalSeconds);
                phases["backward"].Add(Stopwatch.GetElapsedTime(p1, p2).TotalSeconds);
                phases["optimizer"].Add(Stopwatch.GetElapsedTime(p2, p3).TotalSeconds);
                loss = l.item<float>();
            }
            double dt = Stopwatch.GetElapsedTime(s0).TotalSeconds;
            double dc = (Process.GetCurrentProcess().TotalProcessorTime - c0).TotalSeconds;
            losses.Add(loss);
            if (i >= warmup)
            {
                times.Add(dt);
                cpuTimes.Add(dc);
            }
            Console.Error.WriteLine($"step {i,3} {(i < warmup ? "warmup" : "timed ")} {dt * 1e3,9:F1} ms  loss {loss:F4}");
        }
        double mean = times.Average(), tps = (double)b * t / mean;
        var sorted = times.Order().ToList();
        double median = sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]) / 2;
        var phaseMs = new JsonObject();
        foreach (var (k, v) in phases) phaseMs[k] = Math.Round(v.Skip(warmup).Sum() / steps * 1e3, 2);
        return new JsonObject
        {
            ["warmup_steps"] = warmup, ["steps"] = steps,
            ["step_ms"] = Math.Round(mean * 1e3, 2), ["step_ms_median"] = Math.Round(median * 1e3, 2),
            ["step_ms_min"] = Math.Round(sorted[0] * 1e3, 2), ["tokens_per_sec"] = Math.Round(tps, 1),
            ["flops_per_token"] = flopsPerToken, ["gflops"] = Math.Round(flopsPerToken * tps / 1e9, 2),
            ["loss_first"] = Math.Round(losses[0], 4), ["loss_last"] = Math.Round(losses[^1], 4),
            ["cpu_s_per_step"] = Math.Round(cpuTimes.Average(), 3),
            ["phase_ms"] = phaseMs,
            ["load_avg_1m"] = new JsonArray(Math.Round(loadBefore, 2), Math.Round(Native.LoadAverage(), 2)),
        };
    }

    /// <summary>The version line every result carries.</summary>
    public static string TorchVersion =>
        $"libtorch {string.Join('.', __version__.Split('.').Take(3))} (TorchSharp {typeof(torch).Assembly.GetName().Version?.ToString(3)})";

    /// <summary>Sin and cos tables [T, D/2] of the rotation angles pos·inv_freq[i], computed in double as the scripts do.</summary>
    public static (Tensor Sin, Tensor Cos) AngleTables(int t, int half, Func<int, double> invFreq)
    {
        var sin = new float[t * half];
        var cos = new float[t * half];
        for (int p = 0; p < t; p++)
            for (int i = 0; i < half; i++)
            {
                double a = p * invFreq(i);
                sin[p * half + i] = (float)Math.Sin(a);
                cos[p * half + i] = (float)Math.Cos(a);
            }
        return (tensor(sin, [t, half]), tensor(cos, [t, half]));
    }
}
