// libtorch 2.10 training-speed reference for `dlm bench train` (run by it with `dotnet run`): the step
// tools/reference/bench_torch.py (niels presets) and bench_torch_llama.py (the SmolLM2-135M shape, full
// or --lora) time in PyTorch 1.13, here on LibTorch 2.10.0 through TorchSharp 0.107.0, same model, init,
// dropout, loss, clip, AdamW, presets and batches; attention is libtorch's fused
// scaled_dot_product_attention (is_causal, dropout on the probabilities in training), which PyTorch 1.13
// lacks.
//
// Run:  dotnet run -c Release --project tools/reference/libtorch-train -- [--preset niels-default] [--threads N]
//         [--steps 10] [--warmup 2] [--seed 0] [--lora] [--seq T] [--batch B]
// Prints progress to stderr and ONE JSON line to stdout with bench_torch.py's keys ("preset", "threads",
// "torch", "batch", "seq_len", "tokens_per_step", "params", "matmul_params", "warmup_steps", "steps",
// "step_ms", "step_ms_median", "step_ms_min", "tokens_per_sec", "flops_per_token", "gflops", "loss_first",
// "loss_last", "cpu_s_per_step", "phase_ms" {forward, backward, optimizer}, "load_avg_1m",
// "omp_wait_policy"), plus for the SmolLM2 shape "lora", "trainable_params" and "peak_rss_mb".
//
// Threads: libtorch's CPU kernels run on its OpenMP pool (GNU libgomp in this build), which reads
// OMP_NUM_THREADS and OMP_WAIT_POLICY when it starts. As bench_torch.py does, both are put into the
// native environment (setenv) before libtorch is loaded: OMP_NUM_THREADS = --threads, and
// OMP_WAIT_POLICY = PASSIVE unless the environment already sets it (an explicit value wins).
// torch.set_num_threads(--threads) as well.
using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using LibTorchTrain;

var opts = new Dictionary<string, string>(StringComparer.Ordinal)
{
    ["--preset"] = "niels-default", ["--threads"] = Environment.ProcessorCount.ToString(CultureInfo.InvariantCulture),
    ["--steps"] = "", ["--warmup"] = "", ["--seed"] = "0", ["--seq"] = "", ["--batch"] = "",
};
bool lora = false;
for (int i = 0; i < args.Length; i++)
{
    if (args[i] == "--lora") { lora = true; continue; }
    if (!opts.ContainsKey(args[i]) || i + 1 >= args.Length) { Console.Error.WriteLine($"unknown option or missing value: {args[i]}"); return 2; }
    opts[args[i]] = args[++i];
}
int? Opt(string k) => opts[k].Length == 0 ? null : int.Parse(opts[k], CultureInfo.InvariantCulture);
int threads = Opt("--threads")!.Value;
string preset = opts["--preset"];
bool llama = preset == "smollm2-135m-shape";
if (!llama && !Shapes.NielsPresets.ContainsKey(preset))
{
    Console.Error.WriteLine($"unknown preset '{preset}' (known: {string.Join(", ", Shapes.NielsPresets.Keys)}, smollm2-135m-shape)");
    return 2;
}
if (lora && !llama) { Console.Error.WriteLine("--lora is measured on smollm2-135m-shape only (as bench_torch_llama.py)"); return 2; }
// bench_torch.py's defaults (10 timed after 2) for niels, bench_torch_llama.py's (3 after 1) for the SmolLM2 shape.
int steps = Opt("--steps") ?? (llama ? 3 : 10), warmup = Opt("--warmup") ?? (llama ? 1 : 2), seed = Opt("--seed")!.Value;
if (threads < 1 || steps < 1 || warmup < 0) { Console.Error.WriteLine("--threads and --steps must be >= 1, --warmup >= 0"); return 2; }

Native.SetEnv("OMP_NUM_THREADS", threads.ToString(CultureInfo.InvariantCulture), overwrite: true);
Native.SetEnv("MKL_NUM_THREADS", threads.ToString(CultureInfo.InvariantCulture), overwrite: true);
Native.SetEnv("OMP_WAIT_POLICY", "PASSIVE", overwrite: false);
string waitPolicy = Native.GetEnv("OMP_WAIT_POLICY") ?? "";
var glue = Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native", "libLibTorchSharp.so");
if (File.Exists(glue) && WeakVersionPatch.MakeWeak(glue, "GLIBCXX_3.4.32"))
    Console.Error.WriteLine("made libLibTorchSharp.so's GLIBCXX_3.4.32 requirement weak (an unused symbol; this libstdc++ is older)");

var result = llama
    ? LlamaBench.Run(threads, steps, warmup, seed, lora, Opt("--seq") ?? 512, Opt("--batch"))
    : NielsBench.Run(preset, threads, steps, warmup, seed, Opt("--seq"), Opt("--batch"));
result["omp_wait_policy"] = waitPolicy;
Console.WriteLine(result.ToJsonString(new JsonSerializerOptions { WriteIndented = false }));
return 0;

namespace LibTorchTrain
{
    internal static class Native
    {
        [DllImport("libc", EntryPoint = "setenv", CharSet = CharSet.Ansi)]
        private static extern int setenv(string name, string value, int overwrite);

        [DllImport("libc", EntryPoint = "getenv", CharSet = CharSet.Ansi)]
        private static extern IntPtr getenv(string name);

        // .NET keeps its own copy of the environment: libgomp reads the C one, so setenv it there.
        public static void SetEnv(string name, string value, bool overwrite) => _ = setenv(name, value, overwrite ? 1 : 0);

        public static string? GetEnv(string name) => Marshal.PtrToStringAnsi(getenv(name));

        public static double LoadAverage()
        {
            try { return double.Parse(File.ReadAllText("/proc/loadavg").Split(' ')[0], CultureInfo.InvariantCulture); }
            catch (IOException) { return double.NaN; }
        }

        // VmHWM of /proc/self/status in MB (bench_torch_llama.py reports ru_maxrss, the same peak).
        public static double PeakRssMb()
        {
            foreach (var line in File.ReadLines("/proc/self/status"))
                if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                    return long.Parse(line["VmHWM:".Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) / 1024.0;
            return 0;
        }
    }
}
