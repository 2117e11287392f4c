using System.Diagnostics;
using Dlm.Models.Config;
using Dlm.Models.Transformer;

namespace Dlm.Models.IO.Gguf;

/// <summary>One type's export speed.</summary>
/// <param name="Type">Tensor type written.</param>
/// <param name="Bytes">File size.</param>
/// <param name="Seconds">Wall time of the export (encode, write, flush to disk, rename).</param>
/// <param name="EncodeSeconds">Wall time of the same export into <see cref="Stream.Null"/> (the CPU's share).</param>
public sealed record GgufExportTiming(GgmlType Type, long Bytes, double Seconds, double EncodeSeconds)
{
    /// <summary>Megabytes (10^6) written per second.</summary>
    public double MbPerS => Bytes / 1e6 / Seconds;

    /// <summary>Megabytes per second with no disk in the way.</summary>
    public double EncodeMbPerS => Bytes / 1e6 / EncodeSeconds;
}

/// <summary>Export speed against a plain copy of the same number of bytes, measured in the same run.</summary>
/// <param name="Parameters">Model parameters.</param>
/// <param name="Exports">One timing per type.</param>
/// <param name="CopyBytes">Bytes of the plain copy (the f32 file).</param>
/// <param name="CopySeconds">Wall time of the copy (read, write, flush to disk).</param>
public sealed record GgufExportBenchmarkResult(long Parameters, IReadOnlyList<GgufExportTiming> Exports, long CopyBytes, double CopySeconds)
{
    /// <summary>Megabytes per second of the plain copy.</summary>
    public double CopyMbPerS => CopyBytes / 1e6 / CopySeconds;
}

/// <summary>
/// Times GGUF export of an in-memory model of a given shape (default SmolLM2-135M: 30 layers,
/// width 576, 9 heads, 3 KV heads, MLP 1536, vocab 49152, tied) for each type, and a plain
/// file copy (stream read + write + flush) of the f32 file's bytes in the same run as the
/// disk's own speed.
/// </summary>
public static class GgufExportBenchmark
{
    /// <summary>The SmolLM2-135M shape.</summary>
    public static ModelConfig SmolLm2Shape { get; } = new()
    {
        Family = ModelFamily.Llama, ModelType = "llama", VocabSize = 49152, ContextLength = 8192, DModel = 576, Layers = 30,
        Heads = 9, KvHeads = 3, DFf = 1536, NormEps = 1e-5f, RopeTheta = 100000, TiedEmbeddings = true,
    };

    /// <summary>A small llama shape (4 layers, width 128, vocab 4096) for smoke tests of the benchmark itself.</summary>
    public static ModelConfig TinyShape { get; } = SmolLm2Shape with { VocabSize = 4096, DModel = 128, Layers = 4, Heads = 4, KvHeads = 2, DFf = 256 };

    /// <summary>Runs the benchmark in <paramref name="folder"/> (files are deleted afterwards); best of <paramref name="repeats"/> per measurement.</summary>
    public static GgufExportBenchmarkResult Run(ModelConfig config, string folder, IReadOnlyList<GgmlType> types, int repeats = 3, Action<string>? log = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(types);
        var layout = new ParameterLayout(config);
        var weights = new float[layout.Count];
        ulong s = 0x9E3779B97F4A7C15UL;
        for (int i = 0; i < weights.Length; i++)
        {
            s ^= s << 13; s ^= s >> 7; s ^= s << 17;
            weights[i] = ((int)(s >> 40) - (1 << 23)) * (0.05f / (1 << 23));
        }
        Directory.CreateDirectory(folder);
        var all = types.Contains(GgmlType.F32) ? types : [GgmlType.F32, .. types];
        var plans = all.ToDictionary(t => t, t => Plan(config, layout, weights, t));
        var best = all.ToDictionary(t => t, _ => double.MaxValue);
        var encodeBest = all.ToDictionary(t => t, _ => double.MaxValue);
        var bytes = new Dictionary<GgmlType, long>();
        double copy = double.MaxValue;
        string f32Path = Path.Combine(folder, "bench-f32.gguf"), copyPath = Path.Combine(folder, "bench-copy.bin");
        try
        {
            // Rounds alternate every measurement, so a burst of load from other processes does not
            // land on one of them only; each keeps its best round.
            for (int r = 0; r < repeats; r++)
            {
                foreach (var type in all)
                {
                    var (meta, tensors) = plans[type];
                    var sw = Stopwatch.StartNew();
                    GgufWriter.WriteTo(Stream.Null, meta, tensors);
                    encodeBest[type] = Math.Min(encodeBest[type], sw.Elapsed.TotalSeconds);
                    var path = Path.Combine(folder, $"bench-{GgmlTypes.Name(type)}.gguf");
                    sw.Restart();
                    GgufWriter.Write(path, meta, tensors);
                    best[type] = Math.Min(best[type], sw.Elapsed.TotalSeconds);
                    bytes[type] = new FileInfo(path).Length;
                    log?.Invoke($"round {r + 1} export {GgmlTypes.Name(type)}: {bytes[type] / 1e6:F1} MB in {sw.Elapsed.TotalSeconds:F3} s");
                    if (type != GgmlType.F32) File.Delete(path);
                }
                var c = Stopwatch.StartNew();
                using (var src = new FileStream(f32Path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20))
                using (var dst = new FileStream(copyPath, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20))
                {
                    src.CopyTo(dst, 1 << 20);
                    dst.Flush(flushToDisk: true);
                }
                copy = Math.Min(copy, c.Elapsed.TotalSeconds);
                log?.Invoke($"round {r + 1} plain copy: {new FileInfo(copyPath).Length / 1e6:F1} MB in {c.Elapsed.TotalSeconds:F3} s");
                File.Delete(copyPath);
            }
            var exports = types.Select(t => new GgufExportTiming(t, bytes[t], best[t], encodeBest[t])).ToList();
            return new GgufExportBenchmarkResult(layout.Count, exports, bytes[GgmlType.F32], copy);
        }
        finally
        {
            foreach (var f in new[] { f32Path, copyPath }) if (File.Exists(f)) File.Delete(f);
        }
    }

    private static (List<KeyValuePair<string, GgufValue>>, List<GgufTensorToWrite>) Plan(ModelConfig config, ParameterLayout layout, float[] weights, GgmlType type)
    {
        var meta = LlamaCppArchitecture.Metadata(config, "bench", type);
        var tensors = LlamaCppArchitecture.Tensors(layout).Select(p =>
        {
            long[] dims = [.. p.Source!.Shape.Reverse().Select(x => (long)x)];
            return new GgufTensorToWrite(p.Name, dims, LlamaCppArchitecture.StorageType(p.Name, dims, type), () =>
            {
                var data = weights.AsSpan(p.Source.Offset, p.Source.Length).ToArray();
                return p.PermuteHeads > 0 ? LlamaCppArchitecture.Permute(data, p.Source.Shape[0], p.PermuteHeads) : data;
            });
        }).ToList();
        return (meta, tensors);
    }
}
