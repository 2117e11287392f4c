using System.Diagnostics;
using Dlm.Models.Transformer;
using Dlm.Numerics.Diagnostics;
using Dlm.Numerics.Kernels;
using Dlm.Numerics.Threading;

namespace Dlm.Models.Generation;

/// <summary>
/// The model, pool and session of one decode benchmark (<see cref="DecodeBenchmark.Open"/>), measured as many times as asked.
/// Each <see cref="Measure"/> is a whole round: the machine's read bandwidth, prefill, single-sequence and batched decode.
/// </summary>
public sealed class DecodeBenchmarkRig : IDisposable
{
    private readonly string _preset;
    private readonly WeightFormat _format;
    private readonly InferenceModel _model;
    private readonly WorkerPool _pool;
    private readonly InferenceSession _session;
    private readonly int _promptTokens, _newTokens, _batch, _vocab;
    private readonly int[] _prompt;
    private readonly float[] _logits;
    private readonly Action<string>? _log;

    internal DecodeBenchmarkRig(string preset, WeightFormat format, InferenceModel model, int threads, int promptTokens, int newTokens, int batch,
        Action<string>? log)
    {
        (_preset, _format, _model, _promptTokens, _newTokens, _batch, _log) = (preset, format, model, promptTokens, newTokens, batch, log);
        _vocab = model.Config.VocabSize;
        _pool = new WorkerPool(threads);
        var rng = new Random(3);
        _prompt = Enumerable.Range(0, promptTokens).Select(_ => rng.Next(_vocab)).ToArray();
        _session = new InferenceSession(model, batch, promptTokens + newTokens, _pool, prefillChunk: Math.Min(promptTokens, 512));
        _logits = new float[batch * _vocab];
        _session.Prefill(0, _prompt.AsSpan(0, Math.Min(16, promptTokens)), _logits); // warm up
    }

    /// <summary>
    /// One round. With <paramref name="profile"/>, single and batched decode run once more with per-phase timers
    /// (after the timed runs, which stay untimed by phase).
    /// </summary>
    public DecodeBenchmarkResult Measure(bool profile = false)
    {
        double load0 = DecodeBenchmark.LoadAverage();
        _log?.Invoke("measuring read bandwidth");
        double bandwidth = MemoryBandwidth.MeasureRead(_pool);
        double prefillBest = double.MaxValue;
        for (int i = 0; i < 2; i++)
        {
            _session.Reset(0);
            long t0 = Stopwatch.GetTimestamp();
            _session.Prefill(0, _prompt, _logits);
            prefillBest = Math.Min(prefillBest, Stopwatch.GetElapsedTime(t0).TotalSeconds);
        }
        double prefill = _promptTokens / prefillBest;
        _log?.Invoke($"prefill: {prefill:F1} tokens/s");

        double single = Decode(1);
        _log?.Invoke($"decode: {single:F1} tokens/s");
        double batched = Decode(_batch);
        _log?.Invoke($"batched decode ({_batch}): {batched:F1} tokens/s");
        DecodeProfile? singlePhases = null, batchedPhases = null;
        if (profile)
        {
            Decode(1, singlePhases = new DecodeProfile());
            Decode(_batch, batchedPhases = new DecodeProfile());
            _log?.Invoke("profile (ms per step): " + string.Join(", ", singlePhases.MillisecondsPerStep().Select(kv => $"{kv.Key} {kv.Value}")));
            _log?.Invoke($"profile of a batch of {_batch} (ms per step): " + string.Join(", ", batchedPhases.MillisecondsPerStep().Select(kv => $"{kv.Key} {kv.Value}")));
        }
        long bytes = _model.WeightBytesPerToken;
        double gbps = bytes * single / 1e9;
        return new DecodeBenchmarkResult(_preset, _format.Name(), _pool.Threads, _model.Layout.Count, _promptTokens, _newTokens, Math.Round(prefill, 2),
            Math.Round(single, 2), _batch, Math.Round(batched, 2), Math.Round(batched / single, 3), bytes, Math.Round(gbps, 3),
            Math.Round(bandwidth, 3), Math.Round(gbps / bandwidth, 3), [load0, DecodeBenchmark.LoadAverage()],
            singlePhases?.MillisecondsPerStep(), batchedPhases?.MillisecondsPerStep());
    }

    // n sequences, copies of sequence 0's prompt (prefilled last), decoding greedily together; new tokens per second over all.
    private double Decode(int n, DecodeProfile? phases = null)
    {
        _session.Profile = phases;
        for (int s = 1; s < n; s++) _session.CopySequence(0, s);
        var seqs = Enumerable.Range(0, n).ToArray();
        var next = new int[n];
        for (int s = 0; s < n; s++) next[s] = ArgMax(_logits.AsSpan(0, _vocab));
        long t0 = Stopwatch.GetTimestamp();
        for (int step = 0; step < _newTokens; step++)
        {
            _session.Step(seqs, next, _logits.AsSpan(0, n * _vocab));
            for (int s = 0; s < n; s++) next[s] = ArgMax(_logits.AsSpan(s * _vocab, _vocab));
        }
        double sec = Stopwatch.GetElapsedTime(t0).TotalSeconds;
        for (int s = 0; s < n; s++) _session.Truncate(s, _promptTokens);
        _session.Profile = null;
        return n * _newTokens / sec;
    }

    private static int ArgMax(ReadOnlySpan<float> x) => System.Numerics.Tensors.TensorPrimitives.IndexOfMax(x);

    /// <inheritdoc/>
    public void Dispose() => _pool.Dispose();
}
