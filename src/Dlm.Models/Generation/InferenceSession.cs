using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Dlm.Core;
using Dlm.Models.Config;
using Dlm.Models.Layers;
using Dlm.Models.Lora;
using Dlm.Numerics.Gemm;
using Dlm.Numerics.Kernels;
using Dlm.Numerics.Threading;

namespace Dlm.Models.Generation;

/// <summary>
/// A KV cache for a few sequences of one <see cref="InferenceModel"/>, and the buffers of its
/// forward passes. A prompt is prefilled once, in chunks of rows through GEMM (only the last
/// position goes through the LM head, unless per-token logprobs are asked for), and its last
/// logits give the first new token; each later <see cref="Step"/> feeds one token per sequence
/// for several sequences at once, a matrix-vector pass that reads every weight once for all of
/// them. Sequences never see each other: a sequence's logits are the same bits alone or in a
/// batch, and on any thread count.
/// </summary>
/// <remarks>
/// Context policy: a sequence holds at most <see cref="Capacity"/> tokens (at most the model's
/// context length). Prefilling or stepping past it is a <see cref="DlmException"/>; callers stop
/// generating at the capacity (the sampler reports <c>length</c>) and the chat drops old turns.
/// Not thread-safe: one session per caller.
/// </remarks>
public sealed unsafe partial class InferenceSession
{
    private readonly InferenceModel _m;
    private readonly ModelConfig _c;
    private readonly WorkerPool _pool;
    private readonly ManagedGemm _gemm;
    private readonly Rope? _rope;
    private readonly bool _rms;
    private readonly int _maxRows, _qkvW, _qd, _kvd, _fcW, _hd, _group;
    private readonly int[] _length;
    private readonly float[][] _k, _v;
    private readonly float[] _x, _h, _qkv, _atty, _branch, _fc, _act, _rstd, _mean, _att, _widen, _loraXa, _head;
    private readonly int[] _rowSlot, _rowPos, _rowToken, _rowGroup;
    private readonly List<LoraAdapter>[,] _adaptersAt;

    // The pass in flight.
    private DecodeProfile? _profiling;
    private int _n, _layer, _blockStart;
    private bool _useGemm;

    /// <summary>A cache for <paramref name="sequences"/> sequences of up to <paramref name="capacity"/> tokens each.</summary>
    /// <param name="model">The weights.</param>
    /// <param name="sequences">Sequences decoded together (cache slots).</param>
    /// <param name="capacity">Tokens per sequence, prompt included; at most the model's context length.</param>
    /// <param name="pool">Threads (default <see cref="WorkerPool.Shared"/>, sized by <c>DLM_THREADS</c>).</param>
    /// <param name="prefillChunk">Prompt rows per prefill pass (bounds the scratch; longer prompts take several passes).</param>
    public InferenceSession(InferenceModel model, int sequences, int capacity, WorkerPool? pool = null, int prefillChunk = 256)
    {
        ArgumentNullException.ThrowIfNull(model);
        _m = model;
        _c = model.Config;
        if (sequences < 1) throw new DlmException($"a session needs at least one sequence, not {sequences}");
        if (capacity < 1) throw new DlmException($"a sequence needs room for at least one token, not {capacity}");
        if (capacity > _c.ContextLength) throw new DlmException($"{capacity} tokens per sequence exceed the model's context length {_c.ContextLength}");
        ArgumentOutOfRangeException.ThrowIfLessThan(prefillChunk, 1);
        _pool = pool ?? WorkerPool.Shared;
        _gemm = new ManagedGemm(_pool);
        Sequences = sequences;
        Capacity = capacity;
        _rms = _c.Family != ModelFamily.Gpt2;
        if (_rms) _rope = new Rope(_c, capacity);
        _hd = _c.ResolvedHeadDim;
        _group = _c.Heads / _c.KvHeads;
        _qd = _c.Heads * _hd;
        _kvd = _c.KvHeads * _hd;
        _qkvW = _qd + 2 * _kvd;
        _fcW = _rms ? 2 * _c.DFf : _c.DFf;
        _maxRows = Math.Max(Math.Min(prefillChunk, capacity), sequences);
        int c = _c.DModel, rows = _maxRows;
        _length = new int[sequences];
        long cache = (long)sequences * _kvd * capacity;
        if (cache > Array.MaxLength) throw new DlmException($"a KV cache of {sequences} x {capacity} tokens is too large; use fewer sequences or a shorter capacity");
        _k = new float[_c.Layers][];
        _v = new float[_c.Layers][];
        for (int l = 0; l < _c.Layers; l++)
        {
            _k[l] = Pinned(cache);
            _v[l] = Pinned(cache);
        }
        _x = Pinned((long)rows * c);
        _h = Pinned((long)rows * c);
        _branch = Pinned((long)rows * c);
        _qkv = Pinned((long)rows * _qkvW);
        _atty = Pinned((long)rows * _qd);
        _fc = Pinned((long)rows * _fcW);
        _act = Pinned((long)rows * _c.DFf);
        _rstd = new float[rows];
        _mean = new float[rows];
        _att = Pinned((long)_c.Heads * rows * capacity);
        int widest = Math.Max(Math.Max(c, _c.DFf), _qd);
        _widen = Pinned(Math.Max(widest, WidenFloats));
        _head = Pinned((long)HeadRows * _c.VocabSize);
        _rowSlot = new int[rows];
        _rowPos = new int[rows];
        _rowToken = new int[rows];
        _root = new int[sequences];
        Array.Fill(_root, -1);
        _shared = new int[sequences];
        _units = new AttentionUnit[sequences * _c.Heads];
        _unitRows = new AttentionRow[sequences * _c.Heads];
        _unitRowIndex = new int[sequences * _c.Heads];
        _rowRoot = new int[rows];
        _rowShared = new int[rows];
        _rowPlanned = new bool[rows];
        _rowGroup = new int[rows];
        _adaptersAt = new List<LoraAdapter>[_c.Layers, 4];
        for (int l = 0; l < _c.Layers; l++) for (int s = 0; s < 4; s++) _adaptersAt[l, s] = [];
        int maxRank = 0;
        if (model.Lora is { } lora)
        {
            foreach (var a in lora.Adapters) _adaptersAt[a.Layer, (int)a.Slot].Add(a);
            maxRank = lora.Config.Rank;
        }
        _loraXa = new float[rows * maxRank];
    }

    /// <summary>Floats of float32 weights widened at once for a prefill GEMM (4 MB).</summary>
    private const int WidenFloats = 1 << 20;

    /// <summary>Prompt rows sent through the LM head at once when per-token logprobs are asked for.</summary>
    private const int HeadRows = 32;

    /// <summary>Prefill chunks of up to this many rows take the matrix-vector path rather than a GEMM.</summary>
    internal const int MatVecRows = 8;

    /// <summary>The threads of this session's passes (the generator draws its samples on them too).</summary>
    internal WorkerPool Pool => _pool;

    /// <summary>The weights this session reads.</summary>
    public InferenceModel Model => _m;

    /// <summary>When set, every <see cref="Step"/> adds the time of its phases to this profile (prefill is not profiled).</summary>
    public DecodeProfile? Profile { get; set; }

    /// <summary>Number of sequences (cache slots).</summary>
    public int Sequences { get; }

    /// <summary>Most tokens one sequence can hold.</summary>
    public int Capacity { get; }

    /// <summary>Tokens cached for sequence <paramref name="sequence"/>.</summary>
    public int Length(int sequence) => _length[sequence];

    /// <summary>Forgets sequence <paramref name="sequence"/> (its next prefill starts at position 0).</summary>
    public void Reset(int sequence)
    {
        ReleaseSharedFrom(sequence, 0);
        _root[sequence] = -1;
        _shared[sequence] = 0;
        _length[sequence] = 0;
    }

    /// <summary>Keeps only the first <paramref name="length"/> tokens of a sequence.</summary>
    /// <remarks>Sequences sharing more than <paramref name="length"/> of its positions first take private copies of the rest.</remarks>
    public void Truncate(int sequence, int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(length, _length[sequence]);
        ReleaseSharedFrom(sequence, length);
        if (_root[sequence] >= 0 && _shared[sequence] >= length)
        {
            _shared[sequence] = length;
            if (length == 0) _root[sequence] = -1;
        }
        _length[sequence] = length;
    }

    /// <summary>
    /// Makes sequence <paramref name="to"/> a copy of sequence <paramref name="from"/> (one prompt, several samples).
    /// The cached positions are shared, not copied: <paramref name="to"/> reads <paramref name="from"/>'s prompt
    /// (or the prefix <paramref name="from"/> itself reads) where it lies, and a decode step reads those rows once
    /// for all the sequences sharing them; the logits are the bits a private copy gives.
    /// </summary>
    public void CopySequence(int from, int to)
    {
        if (from == to) return;
        int len = _length[from];
        var (root, shared) = _root[from] >= 0 ? (_root[from], _shared[from]) : (from, len);
        if (root == to)
        {
            // `from` reads the first `shared` positions of `to`: those stay, the rest of `from` is copied after them.
            ReleaseSharedFrom(to, shared);
            CopyRows(from, to, shared, len);
            _length[to] = len;
            return;
        }
        ReleaseSharedFrom(to, 0);
        (_root[to], _shared[to]) = shared > 0 ? (root, shared) : (-1, 0);
        CopyRows(from, to, shared, len);
        _length[to] = len;
    }

    /// <summary>
    /// Appends <paramref name="tokens"/> to sequence <paramref name="sequence"/> (GEMM passes of up
    /// to the prefill chunk) and writes the logits after its last token into <paramref name="lastLogits"/>
    /// (vocabulary size). With <paramref name="nextLogprobs"/> (one value per token), entry i gets
    /// log p(tokens[i + 1] | everything before it); the last entry is left alone.
    /// </summary>
    public void Prefill(int sequence, ReadOnlySpan<int> tokens, Span<float> lastLogits, Span<float> nextLogprobs = default)
    {
        if ((uint)sequence >= (uint)Sequences) throw new ArgumentOutOfRangeException(nameof(sequence));
        if (tokens.IsEmpty) throw new DlmException("a prompt needs at least one token");
        if (lastLogits.Length < _c.VocabSize) throw new ArgumentException("lastLogits is shorter than the vocabulary", nameof(lastLogits));
        if (!nextLogprobs.IsEmpty && nextLogprobs.Length < tokens.Length) throw new ArgumentException("nextLogprobs needs one entry per token", nameof(nextLogprobs));
        CheckTokens(tokens);
        if (_length[sequence] + tokens.Length > Capacity)
            throw new DlmException($"{_length[sequence] + tokens.Length} tokens do not fit the context of {Capacity} tokens");
        OwnAllRows(sequence); // a prefill's attention is a GEMM over the sequence's rows in one place
        int chunk = _maxRows;
        for (int start = 0; start < tokens.Length; start += chunk)
        {
            int n = Math.Min(chunk, tokens.Length - start);
            int p0 = _length[sequence];
            for (int i = 0; i < n; i++)
            {
                _rowSlot[i] = sequence;
                _rowPos[i] = p0 + i;
                _rowToken[i] = tokens[start + i];
            }
            _blockStart = p0;
            Forward(n, block: true);
            _length[sequence] = p0 + n;
            if (!nextLogprobs.IsEmpty) NextTokenLogprobs(n, tokens, start, nextLogprobs);
        }
        int last = (tokens.Length - 1) % chunk;
        fixed (float* dst = lastLogits)
        fixed (float* src = &_h[(long)last * _c.DModel])
            Head(src, 1, dst);
    }

    /// <summary>
    /// One decode step: token <c>tokens[b]</c> is appended to sequence <c>sequences[b]</c> for every b,
    /// in one pass, and the logits after it land in row b of <paramref name="logits"/> ([B, vocabulary]).
    /// </summary>
    public void Step(ReadOnlySpan<int> sequences, ReadOnlySpan<int> tokens, Span<float> logits)
    {
        int n = sequences.Length, v = _c.VocabSize;
        if (n == 0) return;
        if (tokens.Length != n) throw new ArgumentException("one token per sequence", nameof(tokens));
        if (n > Sequences) throw new ArgumentException($"at most {Sequences} sequences per step", nameof(sequences));
        if (logits.Length < n * v) throw new ArgumentException("logits needs one row per sequence", nameof(logits));
        CheckTokens(tokens);
        for (int b = 0; b < n; b++)
        {
            int s = sequences[b];
            if ((uint)s >= (uint)Sequences) throw new ArgumentOutOfRangeException(nameof(sequences), $"no sequence {s}");
            for (int e = 0; e < b; e++)
                if (sequences[e] == s) throw new ArgumentException($"sequence {s} appears twice in one step", nameof(sequences));
            if (_length[s] >= Capacity) throw new DlmException($"sequence {s} is full: the context holds {Capacity} tokens");
            _rowSlot[b] = s;
            _rowPos[b] = _length[s];
            _rowToken[b] = tokens[b];
        }
        PlanAttention(n);
        _profiling = Profile;
        _profiling?.Start();
        try
        {
            Forward(n, block: false);
            for (int b = 0; b < n; b++) _length[sequences[b]]++;
            fixed (float* dst = logits)
            fixed (float* src = _h)
                Head(src, n, dst);
            Mark(DecodeProfile.Phase.Head);
            _profiling?.EndStep();
        }
        finally
        {
            _profiling = null;
        }
    }

    private void CheckTokens(ReadOnlySpan<int> tokens)
    {
        foreach (int t in tokens)
            if ((uint)t >= (uint)_c.VocabSize) throw new DlmException($"token id {t} is outside the vocabulary (size {_c.VocabSize})");
    }

    private int CacheOffset(int slot, int kvHead, int pos) => ((slot * _c.KvHeads + kvHead) * Capacity + pos) * _hd;

    private static float[] Pinned(long count) => GC.AllocateArray<float>(checked((int)Math.Max(1, count)), pinned: true);

    private static float* Ptr(float[] a) => (float*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(a));

    // logits rows = head · h rows (h already final-normed), n ≤ MatVecRows rows.
    private void Head(float* h, int n, float* logits) => MatVecPass(_m.Layout.Head, _c.VocabSize, _c.DModel, h, n, logits, _c.VocabSize);

    private void NextTokenLogprobs(int n, ReadOnlySpan<int> tokens, int start, Span<float> nextLogprobs)
    {
        int v = _c.VocabSize, c = _c.DModel;
        for (int r0 = 0; r0 < n; r0 += HeadRows)
        {
            int rows = Math.Min(HeadRows, n - r0);
            _useGemm = rows > MatVecRows;
            LinearRows(_m.Layout.Head, v, c, Ptr(_h) + (long)r0 * c, rows, Ptr(_head), v);
            for (int r = 0; r < rows; r++)
            {
                int i = start + r0 + r;
                if (i + 1 >= tokens.Length) continue;
                var row = _head.AsSpan(r * v, v);
                nextLogprobs[i] = Sampler.LogSoftmaxAt(row, tokens[i + 1]);
            }
        }
    }
}
