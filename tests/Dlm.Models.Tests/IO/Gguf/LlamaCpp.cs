using System.Text;
using LLama;
using LLama.Common;
using LLama.Native;

namespace Dlm.Models.Tests.IO.Gguf;

/// <summary>
/// The real llama.cpp (LLamaSharp's bundled native build, CPU) as a reader of GGUF files: loads a
/// file, evaluates a prompt with logits at every position, tokenizes text. When the native
/// libraries cannot load, every use fails with one clear message (never a skip).
/// </summary>
public sealed class LlamaCpp : IDisposable
{
    private static readonly Lazy<Exception?> NativeLoad = new(() =>
    {
        try
        {
            NativeLibraryConfig.All.WithLogCallback((_, _) => { });
            NativeApi.llama_empty_call();
            return null;
        }
        catch (Exception e) when (e is DllNotFoundException or TypeInitializationException or LLama.Exceptions.RuntimeError or EntryPointNotFoundException or BadImageFormatException)
        {
            return e;
        }
    });

    private readonly LLamaWeights _weights;
    private readonly LLamaContext _context;

    /// <summary>Loads <paramref name="path"/> with a context of <paramref name="contextSize"/> tokens.</summary>
    public LlamaCpp(string path, uint contextSize = 64)
    {
        if (NativeLoad.Value is { } e)
            throw new InvalidOperationException($"LLamaSharp could not load llama.cpp's native libraries on this machine ({e.GetType().Name}: {e.Message}); the GGUF tests need them", e);
        // An f32 KV cache and no flash attention: llama.cpp's default f16 cache and its CPU flash-attention
        // kernel round to f16 (measured 1.5e-3 relative on the logits of an f32 model; 1e-6 without).
        var p = new ModelParams(path)
        {
            ContextSize = contextSize, GpuLayerCount = 0, Threads = 2, BatchSize = contextSize, UBatchSize = contextSize,
            TypeK = GGMLType.GGML_TYPE_F32, TypeV = GGMLType.GGML_TYPE_F32, FlashAttention = false,
        };
        _weights = LLamaWeights.LoadFromFile(p);
        _context = _weights.CreateContext(p);
    }

    /// <summary>The vocabulary size llama.cpp sees.</summary>
    public int VocabSize => _context.Vocab.Count;

    /// <summary>A metadata value as llama.cpp read it.</summary>
    public string? Metadata(string key) => _weights.Metadata.TryGetValue(key, out var v) ? v : null;

    /// <summary>Logits at every position of <paramref name="tokens"/> ([T][V]), from an empty cache.</summary>
    public float[][] Logits(IReadOnlyList<int> tokens)
    {
        _context.NativeHandle.MemoryClear(true);
        var batch = new LLamaBatch();
        for (int i = 0; i < tokens.Count; i++) batch.Add(tokens[i], i, LLamaSeqId.Zero, true);
        var r = _context.Decode(batch);
        if (r != DecodeResult.Ok) throw new InvalidOperationException($"llama_decode failed: {r}");
        var result = new float[tokens.Count][];
        for (int i = 0; i < tokens.Count; i++) result[i] = _context.NativeHandle.GetLogitsIth(i).ToArray();
        return result;
    }

    /// <summary>Greedy continuation of <paramref name="prompt"/> for <paramref name="count"/> tokens, decoding one token at a time.</summary>
    public List<int> Greedy(IReadOnlyList<int> prompt, int count)
    {
        _context.NativeHandle.MemoryClear(true);
        var batch = new LLamaBatch();
        for (int i = 0; i < prompt.Count; i++) batch.Add(prompt[i], i, LLamaSeqId.Zero, i == prompt.Count - 1);
        var result = new List<int>();
        int pos = prompt.Count;
        for (int step = 0; step < count; step++)
        {
            if (_context.Decode(batch) != DecodeResult.Ok) throw new InvalidOperationException("llama_decode failed");
            var logits = _context.NativeHandle.GetLogitsIth(batch.TokenCount - 1);
            int best = 0;
            for (int v = 1; v < logits.Length; v++) if (logits[v] > logits[best]) best = v;
            result.Add(best);
            batch.Clear();
            batch.Add(best, pos++, LLamaSeqId.Zero, true);
        }
        return result;
    }

    /// <summary>llama.cpp's tokenization (special tokens parsed as such).</summary>
    public int[] Tokenize(string text, bool addSpecial) =>
        [.. _weights.Tokenize(text, addSpecial, true, Encoding.UTF8).Select(t => (int)t)];

    /// <inheritdoc />
    public void Dispose()
    {
        _context.Dispose();
        _weights.Dispose();
    }
}
