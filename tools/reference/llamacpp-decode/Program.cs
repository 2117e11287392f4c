// llama.cpp decode-speed reference for `dlm bench decode`: the same random weights dlm times
// (DecodeBenchmark.RandomWeights, same shape and seed) written as a GGUF file by dlm's exporter,
// loaded by the real llama.cpp (LLamaSharp 0.30.0, bundled CPU build), and timed the same way:
// prefill of the prompt with logits only at its last position, greedy decode of one sequence,
// then `batch` sequences (copies of the prompt's cache) stepping together in one batch.
//
// Run:  dotnet run -c Release --project tools/reference/llamacpp-decode -- --preset smollm2-135m-shape
//         --type f32|f16|bf16 --threads N --prompt-tokens 512 --new-tokens 128 --batch 8
// Prints progress to stderr and ONE JSON line to stdout:
//   {"preset","type","threads","gguf_bytes","prompt_tokens","new_tokens","batch","prefill_tokens_per_s",
//    "decode_tokens_per_s","batched_decode_tokens_per_s","load_avg_1m"}
// The GGUF file embeds the tokenizer of tests/fixtures/bpe (padded to the vocabulary, as llama.cpp's
// converter pads); speed does not depend on it.
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Dlm.Models.Config;
using Dlm.Models.Generation;
using Dlm.Models.IO;
using Dlm.Models.IO.Gguf;
using LLama;
using LLama.Common;
using LLama.Native;

var opts = new Dictionary<string, string>(StringComparer.Ordinal)
{
    ["--preset"] = "smollm2-135m-shape", ["--type"] = "f32", ["--threads"] = "2",
    ["--prompt-tokens"] = "512", ["--new-tokens"] = "128", ["--batch"] = "8",
};
for (int i = 0; i + 1 < args.Length; i += 2)
{
    if (!opts.ContainsKey(args[i])) { Console.Error.WriteLine($"unknown option {args[i]}"); return 2; }
    opts[args[i]] = args[i + 1];
}
int Int(string k) => int.Parse(opts[k], CultureInfo.InvariantCulture);
int threads = Int("--threads"), promptTokens = Int("--prompt-tokens"), newTokens = Int("--new-tokens"), batch = Int("--batch");
var type = opts["--type"] switch { "f32" => GgmlType.F32, "f16" => GgmlType.F16, "bf16" => GgmlType.BF16, var t => throw new ArgumentException($"--type {t}") };
double load0 = DecodeBenchmark.LoadAverage();
int capacity = promptTokens + newTokens;
var config = DecodeBenchmark.Preset(opts["--preset"], capacity);

var dir = Directory.CreateTempSubdirectory("dlm-llamacpp-bench-");
try
{
    // A folder with the tokenizer for the exporter, then the GGUF file.
    string repo = FindRepo();
    foreach (var f in new[] { "tokenizer.json", "tokenizer_config.json" })
        File.Copy(Path.Combine(repo, "tests", "fixtures", "bpe", f), Path.Combine(dir.FullName, f));
    File.WriteAllText(Path.Combine(dir.FullName, "config.json"), HfConfigJson.ToJson(config));
    Console.Error.WriteLine($"writing {opts["--preset"]} as a {opts["--type"]} GGUF file");
    var (layout, weights) = DecodeBenchmark.RandomWeights(config);
    var tokenizer = GgufTokenizerMetadata.FromFolder(dir.FullName, config.VocabSize);
    var gguf = Path.Combine(dir.FullName, "model.gguf");
    GgufExporter.Export(config, layout, t => weights.AsSpan(t.Offset, t.Length).ToArray(), tokenizer, "bench", type, gguf);
    weights = null!;
    GC.Collect();

    NativeLibraryConfig.All.WithLogCallback((_, _) => { });
    var p = new ModelParams(gguf)
    {
        ContextSize = (uint)(capacity * batch), GpuLayerCount = 0, Threads = threads, BatchThreads = threads,
        BatchSize = (uint)Math.Max(promptTokens, batch), UBatchSize = (uint)Math.Max(promptTokens, batch), SeqMax = (uint)batch,
    };
    using var model = LLamaWeights.LoadFromFile(p);
    using var ctx = model.CreateContext(p);
    var rng = new Random(3);
    var prompt = Enumerable.Range(0, promptTokens).Select(_ => rng.Next(config.VocabSize)).ToArray();

    void Prefill(int n)
    {
        ctx.NativeHandle.MemoryClear(true);
        var b = new LLamaBatch();
        for (int i = 0; i < n; i++) b.Add(prompt[i], i, LLamaSeqId.Zero, i == n - 1);
        if (ctx.Decode(b) != DecodeResult.Ok) throw new InvalidOperationException("llama_decode failed on the prompt");
    }
    Prefill(Math.Min(16, promptTokens)); // warm up
    double best = double.MaxValue;
    for (int i = 0; i < 2; i++)
    {
        long t0 = Stopwatch.GetTimestamp();
        Prefill(promptTokens);
        best = Math.Min(best, Stopwatch.GetElapsedTime(t0).TotalSeconds);
    }
    double prefill = promptTokens / best;
    Console.Error.WriteLine($"prefill: {prefill:F1} tokens/s");

    double Decode(int n)
    {
        Prefill(promptTokens);
        for (int s = 1; s < n; s++) ctx.NativeHandle.MemorySequenceCopy(LLamaSeqId.Zero, (LLamaSeqId)s, 0, promptTokens);
        var logits0 = ctx.NativeHandle.GetLogitsIth(promptTokens - 1).ToArray();
        var next = Enumerable.Repeat(ArgMax(logits0), n).ToArray();
        var b = new LLamaBatch();
        long t0 = Stopwatch.GetTimestamp();
        for (int step = 0; step < newTokens; step++)
        {
            b.Clear();
            for (int s = 0; s < n; s++) b.Add(next[s], promptTokens + step, (LLamaSeqId)s, true);
            if (ctx.Decode(b) != DecodeResult.Ok) throw new InvalidOperationException("llama_decode failed while decoding");
            for (int s = 0; s < n; s++) next[s] = ArgMax(ctx.NativeHandle.GetLogitsIth(s));
        }
        return n * newTokens / Stopwatch.GetElapsedTime(t0).TotalSeconds;
    }
    double single = Decode(1);
    Console.Error.WriteLine($"decode: {single:F1} tokens/s");
    double batched = Decode(batch);
    Console.Error.WriteLine($"batched decode ({batch}): {batched:F1} tokens/s");
    Console.WriteLine(JsonSerializer.Serialize(new Dictionary<string, object>
    {
        ["preset"] = opts["--preset"], ["type"] = opts["--type"], ["threads"] = threads, ["gguf_bytes"] = new FileInfo(gguf).Length,
        ["prompt_tokens"] = promptTokens, ["new_tokens"] = newTokens, ["batch"] = batch,
        ["prefill_tokens_per_s"] = Math.Round(prefill, 2), ["decode_tokens_per_s"] = Math.Round(single, 2),
        ["batched_decode_tokens_per_s"] = Math.Round(batched, 2), ["load_avg_1m"] = new[] { load0, DecodeBenchmark.LoadAverage() },
    }));
    return 0;
}
finally
{
    dir.Delete(recursive: true);
}

static int ArgMax(ReadOnlySpan<float> x)
{
    int best = 0;
    for (int i = 1; i < x.Length; i++) if (x[i] > x[best]) best = i;
    return best;
}

static string FindRepo()
{
    for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
        if (File.Exists(Path.Combine(d.FullName, "tests", "fixtures", "bpe", "tokenizer.json"))) return d.FullName;
    throw new DirectoryNotFoundException("the dlm repository (tests/fixtures/bpe) was not found above the program");
}
