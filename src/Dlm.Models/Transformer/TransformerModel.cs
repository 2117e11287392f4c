using System.Diagnostics;
using Dlm.Core;
using Dlm.Models.Config;
using Dlm.Models.Layers;
using Dlm.Models.Lora;
using Dlm.Numerics.Gemm;
using Dlm.Numerics.Threading;

namespace Dlm.Models.Transformer;

/// <summary>Result of a forward pass with targets: loss = −Σ w·logp(target).</summary>
/// <param name="Sum">−Σ w·logp over the batch.</param>
/// <param name="WeightSum">Σ w over tokens with a target.</param>
public readonly record struct LossResult(double Sum, double WeightSum)
{
    /// <summary>The weighted mean, Sum / WeightSum (0 when no token has weight).</summary>
    public double Mean => WeightSum > 0 ? Sum / WeightSum : 0;
}

/// <summary>
/// A decoder-only transformer (niels, llama/qwen2, gpt2) with an explicit forward and backward
/// pass, llm.c style: parameters, gradients and every activation live in arenas allocated once
/// for at most <see cref="MaxBatch"/> × <see cref="MaxSeq"/> tokens, so a training step allocates
/// nothing of its own. With LoRA the base weights are frozen and only the adapters get gradients.
/// </summary>
public sealed partial class TransformerModel
{
    private readonly IGemm _gemm;
    private readonly WorkerPool _pool;
    private readonly int _maxChunks;
    private readonly ModelConfig _c;
    private readonly float[] _params;
    private readonly float[]? _grads;          // base gradients (null when LoRA freezes the base)
    private readonly float[]? _loraParams;
    private readonly float[]? _loraGrads;
    private readonly float[] _act;
    private readonly int[] _tokens, _targets;
    private readonly float[] _weights;
    private readonly Rope? _rope;
    private readonly bool _rms;
    private readonly List<int>[,] _adaptersAt; // adapter indices per [layer, slot]
    private SplitMix64 _rng;
    private readonly long[] _profileTicks = new long[(int)Phase.Count];
    private long _mark;
    private float _lossScale;
    private int _b, _t;
    private bool _training, _haveTargets, _logitsAreGrads;

    // Activation arena offsets.
    private readonly int _n, _qkvW, _qd, _fcW;
    private readonly int[] _res, _mid, _ln1, _ln1Mean, _ln1Rstd, _qkv, _attLse, _atty, _ln2, _ln2Mean, _ln2Rstd, _fc, _actOut, _mask1, _mask2;
    // Embedding dropout mask (−1 without dropout); per layer, where the attention-dropout stream starts.
    private readonly int _maskEmb;
    private readonly ulong[] _attRngState;
    private readonly int _lnf, _lnfMean, _lnfRstd, _logp, _lse;
    private readonly int _branch, _dres, _dtmp, _dln, _dqkv, _datty, _dfc, _dact, _attScratch, _attDkv, _ceScratch, _normScratch, _biasScratch;
    private readonly int[] _loraXa, _loraXd;
    // Per adapter: where its dropout mask starts in the stream (the mask is redrawn in the backward pass, never stored), and whether it was applied.
    private readonly ulong[] _loraRngState;
    private readonly bool[] _loraDropped;
    private readonly int _loraDxa, _loraDxd;

    /// <summary>
    /// Creates a model with zeroed weights, sized for batches of at most <paramref name="maxBatch"/> × <paramref name="maxSeq"/>.
    /// With <paramref name="inferenceOnly"/> the layers share one set of activation buffers and no
    /// gradient is allocated (about L times less memory; <see cref="Backward"/> is then refused).
    /// The row-wise kernels (norms, activations, RoPE, attention, cross-entropy) run on
    /// <paramref name="pool"/> (default <see cref="WorkerPool.Shared"/>, sized by <c>DLM_THREADS</c>).
    /// </summary>
    public TransformerModel(ModelConfig config, int maxBatch, int maxSeq, LoraConfig? lora = null, IGemm? gemm = null, bool inferenceOnly = false,
        WorkerPool? pool = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        Layout = new ParameterLayout(config);
        _c = config;
        if (maxBatch <= 0 || maxSeq <= 0) throw new DlmException($"batch ({maxBatch}) and sequence length ({maxSeq}) must be positive");
        if (maxSeq > config.ContextLength) throw new DlmException($"sequence length {maxSeq} exceeds the model's context length {config.ContextLength}");
        _gemm = gemm ?? GemmBackends.Default;
        _pool = pool ?? WorkerPool.Shared;
        MaxBatch = maxBatch;
        MaxSeq = maxSeq;
        _params = new float[Layout.Count];
        InferenceOnly = inferenceOnly;
        if (lora is null)
        {
            if (!inferenceOnly) _grads = new float[Layout.Count];
        }
        else
        {
            Lora = new LoraAdapters(Layout, lora);
            _loraParams = new float[Lora.Count];
            if (!inferenceOnly) _loraGrads = new float[Lora.Count];
        }
        _rms = config.Family != ModelFamily.Gpt2;
        if (_rms) _rope = new Rope(config, maxSeq);
        _rng = new SplitMix64(0x5EEDUL);

        int n = _n = maxBatch * maxSeq, c = config.DModel, L = config.Layers, hd = config.ResolvedHeadDim;
        _maxChunks = Math.Min(n, 4 * _pool.Threads);
        _qd = config.Heads * hd;
        _qkvW = (config.Heads + 2 * config.KvHeads) * hd;
        _fcW = _rms ? 2 * config.DFf : config.DFf;
        bool dropout = config.Dropout > 0;
        long used = 0;
        int Alloc(long count)
        {
            long off = used;
            used += count;
            if (used > Array.MaxLength) throw new DlmException($"activations for {maxBatch}x{maxSeq} tokens do not fit in one arena; use a smaller batch");
            return (int)off;
        }
        int[] PerLayer(long count, bool when = true)
        {
            if (!when) return Enumerable.Repeat(-1, L).ToArray();
            // Inference keeps nothing for a backward pass, so every layer reuses the same buffer.
            if (inferenceOnly) return Enumerable.Repeat(Alloc(count), L).ToArray();
            return Enumerable.Range(0, L).Select(_ => Alloc(count)).ToArray();
        }
        long Grad(long count) => inferenceOnly ? 0 : count;
        _res = Enumerable.Range(0, L + 1).Select(_ => Alloc((long)n * c)).ToArray();
        _mid = PerLayer((long)n * c);
        _ln1 = PerLayer((long)n * c);
        _ln1Mean = PerLayer(n, !_rms);
        _ln1Rstd = PerLayer(n);
        _qkv = PerLayer((long)n * _qkvW);
        // Tiled attention keeps only each query row's log-sum-exp: B·H·T floats, never T×T.
        _attLse = PerLayer((long)n * config.Heads);
        _atty = PerLayer((long)n * _qd);
        _ln2 = PerLayer((long)n * c);
        _ln2Mean = PerLayer(n, !_rms);
        _ln2Rstd = PerLayer(n);
        _fc = PerLayer((long)n * _fcW);
        _actOut = PerLayer((long)n * config.DFf);
        _mask1 = PerLayer((long)n * c, dropout);
        _mask2 = PerLayer((long)n * c, dropout);
        _maskEmb = dropout ? Alloc((long)n * c) : -1;
        _attRngState = new ulong[L];
        _lnf = Alloc((long)n * c);
        _lnfMean = Alloc(n);
        _lnfRstd = Alloc(n);
        // The LM head works on chunks of rows (TransformerModel.Head.cs); only HeadMode.Logits keeps [n, V].
        _headRows = _headRowsCapacity = DefaultHeadRows(config.VocabSize, n);
        _headRowIndex = new int[n];
        _headChunk = Alloc((long)_headRows * config.VocabSize);
        _headX = Alloc((long)_headRows * c);
        _tailX = Alloc((long)n * _qd);
        _headDx = Alloc(Grad((long)n * c));
        _headDw = lora is null && !inferenceOnly ? Alloc((long)config.VocabSize * c) : -1;
        _logp = Alloc(n);
        _lse = Alloc(n);
        _branch = Alloc((long)n * c);
        _dres = Alloc(Grad((long)n * c));
        _dtmp = Alloc(Grad((long)n * c));
        _dln = Alloc(Grad((long)n * c));
        _dqkv = Alloc(Grad((long)n * _qkvW));
        _datty = Alloc(Grad((long)n * _qd));
        _dfc = Alloc(Grad((long)n * _fcW));
        _dact = Alloc(Grad((long)n * config.DFf));
        // Each chunk of attention units (forward or backward) has a few blocks of its own.
        _attScratch = Alloc((long)_maxChunks * TiledAttention.ScratchFloats(maxSeq, TiledAttention.DefaultBlock));
        // With GQA each head's share of its group's k/v gradients ([B, H, T, 2·hd]), summed after the heads.
        _attDkv = Alloc(config.Heads != config.KvHeads ? Grad((long)n * config.Heads * 2 * hd) : 0);
        _ceScratch = Alloc((long)_maxChunks * config.VocabSize);
        _normScratch = Alloc(Grad((long)_maxChunks * 2 * c));
        _biasScratch = Alloc(config.MlpBias ? Grad((long)_maxChunks * _fcW) : 0);
        _adaptersAt = new List<int>[L, 4];
        for (int l = 0; l < L; l++) for (int s = 0; s < 4; s++) _adaptersAt[l, s] = [];
        if (Lora is { } la)
        {
            int r = la.Config.Rank, maxIn = 0;
            _loraXa = new int[la.Adapters.Count];
            _loraXd = new int[la.Adapters.Count];
            _loraRngState = new ulong[la.Adapters.Count];
            _loraDropped = new bool[la.Adapters.Count];
            for (int i = 0; i < la.Adapters.Count; i++)
            {
                var a = la.Adapters[i];
                _adaptersAt[a.Layer, (int)a.Slot].Add(i);
                _loraXa[i] = Alloc((long)n * r);
                bool drop = la.Config.Dropout > 0;
                _loraXd[i] = drop ? Alloc((long)n * a.InF) : -1;
                maxIn = Math.Max(maxIn, a.InF);
            }
            _loraDxa = Alloc((long)n * r);
            _loraDxd = Alloc((long)n * maxIn);
        }
        else
        {
            _loraXa = _loraXd = [];
            _loraRngState = [];
            _loraDropped = [];
            _loraDxa = _loraDxd = -1;
        }
        _act = new float[used];
        _tokens = new int[n];
        _targets = new int[n];
        _weights = new float[n];
    }

    /// <summary>The configuration.</summary>
    public ModelConfig Config => _c;

    /// <summary>Where each base parameter lives in <see cref="Weights"/>.</summary>
    public ParameterLayout Layout { get; }

    /// <summary>The LoRA adapters, when the model was built with LoRA.</summary>
    public LoraAdapters? Lora { get; }

    /// <summary>Batch size the buffers were sized for (a forward pass takes any batch × sequence length up to <see cref="MaxTokens"/>).</summary>
    public int MaxBatch { get; }

    /// <summary>Longest sequence a forward pass accepts.</summary>
    public int MaxSeq { get; }

    /// <summary>Most tokens (batch × sequence length) one forward pass accepts: <see cref="MaxBatch"/> × <see cref="MaxSeq"/>.</summary>
    public int MaxTokens => MaxBatch * MaxSeq;

    /// <summary>The worker pool the row-wise kernels run on (the optimizer uses it too).</summary>
    public WorkerPool Pool => _pool;

    /// <summary>The GEMM backend in use.</summary>
    public IGemm Gemm => _gemm;

    /// <summary>The base weights (arena layout of <see cref="Layout"/>).</summary>
    public Span<float> Weights => _params;

    /// <summary>The trainable weights: the base weights, or the adapter arena under LoRA.</summary>
    public Span<float> TrainableWeights => _loraParams ?? _params;

    /// <summary>Gradients of <see cref="TrainableWeights"/>, same layout (accumulated by <see cref="Backward"/>).</summary>
    public Span<float> TrainableGradients => _loraGrads ?? _grads ?? [];

    /// <summary>Built for forward passes only (no gradients, shared activation buffers).</summary>
    public bool InferenceOnly { get; }

    /// <summary>The tensors inside <see cref="TrainableWeights"/>.</summary>
    public IReadOnlyList<ParameterTensor> TrainableTensors => Lora?.Tensors ?? Layout.Tensors;

    /// <summary>State of the dropout generator (save it to resume a run exactly).</summary>
    public ulong RngState
    {
        get => _rng.State;
        set => _rng.State = value;
    }

    /// <summary>
    /// Logits [B, T, V] of the last forward pass, kept only by a pass without targets or with
    /// <see cref="HeadMode.Logits"/> (invalid once <see cref="Backward"/> has run: the buffer then holds their gradient).
    /// </summary>
    public ReadOnlySpan<float> Logits => _headMode != HeadMode.Logits || _fullLogits is null
        ? throw new InvalidOperationException("the last forward pass kept no logits; run it with HeadMode.Logits")
        : _logitsAreGrads
            ? throw new InvalidOperationException("the logits were overwritten by Backward; run Forward again")
            : _fullLogits.AsSpan(0, _b * _t * _c.VocabSize);

    /// <summary>
    /// log p(target) per token of the last forward pass with targets: 0 where there is no target and,
    /// under <see cref="HeadMode.Weighted"/>, where the weight is 0.
    /// </summary>
    public ReadOnlySpan<float> TokenLogprobs => _act.AsSpan(_logp, _b * _t);

    /// <summary>Initialises like niels-gpt and GPT-2: linear and embedding weights N(0, 0.02), norm weights 1, biases 0; LoRA A N(0, 0.02), B 0.</summary>
    public void InitializeWeights(ulong seed)
    {
        var rng = new SplitMix64(seed);
        foreach (var t in Layout.Tensors)
        {
            var s = _params.AsSpan(t.Offset, t.Length);
            bool norm = t.Shape.Length == 1 && t.Name.EndsWith(".weight", StringComparison.Ordinal);
            if (norm) s.Fill(1f);
            else if (t.Shape.Length == 1) s.Clear();
            else for (int i = 0; i < s.Length; i++) s[i] = (float)(0.02 * rng.NextGaussian());
        }
        if (Lora is null) return;
        foreach (var t in Lora.Tensors)
        {
            var s = _loraParams.AsSpan(t.Offset, t.Length);
            if (t.Name.EndsWith("lora_B.weight", StringComparison.Ordinal)) s.Clear();
            else for (int i = 0; i < s.Length; i++) s[i] = (float)(0.02 * rng.NextGaussian());
        }
    }

    /// <summary>Sets every trainable gradient to zero.</summary>
    public void ZeroGradients() => TrainableGradients.Clear();

    private Span<float> P(int offset, int length) => offset < 0 ? [] : _params.AsSpan(offset, length);
    private Span<float> G(int offset, int length) => offset < 0 || _grads is null ? [] : _grads.AsSpan(offset, length);
    private Span<float> A(int offset, long length) => _act.AsSpan(offset, (int)length);

    /// <summary>
    /// Forward pass over <paramref name="batch"/> sequences of <paramref name="seq"/> tokens (row-major [B, T]).
    /// With targets (same shape; negative = no target) and weights, also computes the loss; with
    /// empty targets it only computes logits. <paramref name="training"/> turns dropout on (and, on a model
    /// with gradients, computes the LM head's share of the backward pass now). <paramref name="head"/> says
    /// which rows go through the LM head (see <see cref="HeadMode"/>); without targets it is always
    /// <see cref="HeadMode.Logits"/>.
    /// </summary>
    public LossResult Forward(ReadOnlySpan<int> tokens, ReadOnlySpan<int> targets, ReadOnlySpan<float> weights, int batch, int seq, bool training,
        HeadMode head = HeadMode.Weighted)
    {
        // Any shape whose tokens fit the arena works: every per-token buffer holds MaxTokens rows (the
        // attention's B·H·T log-sum-exps too), so short sequences may come in larger batches.
        if (batch <= 0 || seq <= 0 || seq > MaxSeq || (long)batch * seq > MaxTokens)
            throw new DlmException($"batch {batch}x{seq} does not fit the model's buffers ({MaxBatch}x{MaxSeq} = {MaxTokens} tokens)");
        int n = batch * seq, c = _c.DModel, v = _c.VocabSize;
        if (tokens.Length != n) throw new ArgumentException($"expected {n} tokens, got {tokens.Length}", nameof(tokens));
        for (int i = 0; i < n; i++)
            if ((uint)tokens[i] >= (uint)v) throw new DlmException($"token id {tokens[i]} is outside the vocabulary (size {v})");
        _haveTargets = !targets.IsEmpty;
        if (_haveTargets)
        {
            if (targets.Length != n || weights.Length != n) throw new ArgumentException($"targets and weights must hold {n} values");
            for (int i = 0; i < n; i++)
                if (targets[i] >= v) throw new DlmException($"target id {targets[i]} is outside the vocabulary (size {v})");
            targets.CopyTo(_targets);
            weights.CopyTo(_weights);
        }
        tokens.CopyTo(_tokens);
        _b = batch;
        _t = seq;
        _training = training;
        _logitsAreGrads = false;
        _headPending = false;
        _headMode = _haveTargets ? head : HeadMode.Logits;
        if (_headMode != HeadMode.Logits) HeadRows(_headMode);
        // Rows of weight 0 feed nothing after the last block's attention but head rows that are skipped
        // (keys and values of every row are still needed): that block's o_proj, residuals, MLP and the
        // final norm run on the weighted rows only (TransformerModel.Tail.cs).
        _tail = LastBlockOnWeightedRows && _headMode == HeadMode.Weighted && _headWeighted > 0 && _headWeighted < n;
        var lay = Layout;
        _mark = Stopwatch.GetTimestamp();

        // res[0] = dropout(wte[tokens] + wpe), through the residual loop with no x to add.
        Embedding.Forward(A(_branch, (long)n * c), _tokens.AsSpan(0, n), P(lay.Wte, v * c), P(lay.Wpe, seq * c), batch, seq, c);
        // The residual pass also computes layer 0's first norm (a model has at least one layer).
        Residual(_res[0], -1, _maskEmb, false, _ln1[0], _ln1Mean[0], _ln1Rstd[0], Layout.Blocks[0].Norm1W, Layout.Blocks[0].Norm1B);
        Mark(Phase.EmbeddingForward);
        for (int l = 0; l < _c.Layers; l++) BlockForward(l);

        if (_headMode == HeadMode.Logits)
        {
            _fullLogits ??= new float[(long)MaxTokens * v];
            Linear.Forward(_gemm, FullLogits((long)n * v), v, A(_lnf, (long)n * c), P(lay.Head, v * c), [], n, c, v);
            Mark(Phase.LmHeadForward);
            if (!_haveTargets) return default;
            RunRows(LoopKind.CrossEntropyForward);
            Mark(Phase.CrossEntropyForward);
        }
        else HeadForward();
        double sum = 0, wsum = 0;
        var logp = A(_logp, n);
        for (int i = 0; i < n; i++)
        {
            if (_targets[i] < 0) continue;
            sum -= (double)_weights[i] * logp[i];
            wsum += _weights[i];
        }
        return new LossResult(sum, wsum);
    }

    private void BlockForward(int l)
    {
        int n = _b * _t, c = _c.DModel, f = _c.DFf, hd = _c.ResolvedHeadDim;
        // The rows after attention: all of them, or in the last block under _tail the weighted ones, compacted.
        bool tail = _tail && l == _c.Layers - 1;
        int rows = tail ? _headWeighted : n;
        int[]? map = tail ? _headRowIndex : null;
        var o = Layout.Blocks[l];
        var x = A(_res[l], (long)n * c);
        // ln1[l] was computed by the residual pass that wrote res[l].
        LinearForward(l, LinearSlot.Qkv, A(_qkv[l], (long)n * _qkvW), _qkvW, _ln1[l], o.QkvW, o.QkvB, c, _qkvW, n);
        Mark(Phase.QkvForward);
        RopeRows(_qkv[l], inverse: false);
        Mark(Phase.RopeForward);

        AttentionForwardLayer(l);
        Mark(Phase.AttentionForward);

        var branch = A(_branch, (long)n * c);
        // Under tail, o_proj's input is the weighted rows of the attention output, gathered.
        if (tail) GatherRows(_tailX, _atty[l], _qd, map!, rows);
        LinearForward(l, LinearSlot.Out, branch, c, tail ? _tailX : _atty[l], o.OutW, -1, _qd, c, rows, map);
        Mark(Phase.OutProjForward);
        Residual(_mid[l], _res[l], _mask1[l], _c.Family == ModelFamily.Niels, _ln2[l], _ln2Mean[l], _ln2Rstd[l], o.Norm2W, o.Norm2B, o.OutB, rows, map, map);
        Mark(Phase.ResidualForward);

        var fc = A(_fc[l], (long)n * _fcW);
        // Its bias is added by the activation pass, the down projection's by the residual pass.
        LinearForward(l, LinearSlot.Fc, fc, _fcW, _ln2[l], o.FcW, -1, c, _fcW, rows, map);
        Mark(Phase.MlpUpForward);
        _aLayer = l;
        RunRows(LoopKind.ActivationForward, rows);
        Mark(Phase.ActivationForward);
        LinearForward(l, LinearSlot.Proj, branch, c, _actOut[l], o.ProjW, -1, f, c, rows, map);
        Mark(Phase.MlpDownForward);
        // ... and the norm that follows: the next block's first, or the final one.
        if (l + 1 < _c.Layers)
        {
            var next = Layout.Blocks[l + 1];
            Residual(_res[l + 1], _mid[l], _mask2[l], false, _ln1[l + 1], _ln1Mean[l + 1], _ln1Rstd[l + 1], next.Norm1W, next.Norm1B, o.ProjB, n, null, null);
        }
        else Residual(_res[l + 1], _mid[l], _mask2[l], false, _lnf, _lnfMean, _lnfRstd, Layout.NormFW, Layout.NormFB, o.ProjB, rows, null, map);
        Mark(Phase.ResidualForward);
    }

    // y = x·Wᵀ + b (+ adapters), x the n × inF rows at arena offset xOffset. With a map the n rows are
    // the compacted rows map[0..n) of the batch: an adapter's dropout mask of row i is drawn from row
    // map[i]'s place in the stream, which still advances by the whole batch.
    private void LinearForward(int layer, LinearSlot slot, Span<float> y, int ldy, int xOffset, int w, int bias, int inF, int outF, int n,
        int[]? map = null)
    {
        ReadOnlySpan<float> x = A(xOffset, (long)n * inF);
        Linear.Forward(_gemm, y, ldy, x, P(w, outF * inF), P(bias, outF), n, inF, outF);
        foreach (int idx in _adaptersAt[layer, (int)slot])
        {
            var a = Lora!.Adapters[idx];
            int r = Lora.Config.Rank;
            ReadOnlySpan<float> xd = x;
            _loraDropped[idx] = _training && _loraXd[idx] >= 0;
            if (_loraDropped[idx])
            {
                // xd = dropout(x), drawn in row chunks on the pool; the mask itself is not kept.
                _loraRngState[idx] = _rng.State;
                _rng.Skip((long)_b * _t * inF);
                DropRows(LoopKind.LoraDropForward, _loraXd[idx], xOffset, inF, _loraRngState[idx], n, map);
                xd = A(_loraXd[idx], (long)n * inF);
            }
            var xa = A(_loraXa[idx], (long)n * r);
            _gemm.Sgemm(false, true, n, r, inF, 1f, xd, inF, _loraParams.AsSpan(a.AOffset, r * inF), inF, 0f, xa, r);
            _gemm.Sgemm(false, true, n, a.OutF, r, Lora.Config.Scale, xa, r, _loraParams.AsSpan(a.BOffset, a.OutF * r), r, 1f, y[a.ColStart..], ldy);
        }
    }

    // dx = dy·W (+ adapters) into the n × inF rows at arena offset dxOffset (skipped when !needDx: the
    // first layer of a frozen base, whose input gradient nothing uses); parameter gradients accumulate.
    private void LinearBackward(int layer, LinearSlot slot, int dxOffset, ReadOnlySpan<float> dy, int ldy, int xOffset, int w, int bias, int inF, int outF,
        int n, int[]? map = null, bool needDx = true)
    {
        var dx = A(dxOffset, (long)n * inF);
        ReadOnlySpan<float> x = A(xOffset, (long)n * inF);
        if (needDx) Linear.BackwardInput(_gemm, dx, dy, ldy, P(w, outF * inF), n, inF, outF, accumulate: false);
        if (_grads is not null) Linear.BackwardParams(_gemm, G(w, outF * inF), G(bias, outF), dy, ldy, x, n, inF, outF);
        foreach (int idx in _adaptersAt[layer, (int)slot])
        {
            var a = Lora!.Adapters[idx];
            int r = Lora.Config.Rank;
            float scale = Lora.Config.Scale;
            var dya = dy[a.ColStart..];
            bool drop = _loraDropped[idx];
            ReadOnlySpan<float> xd = drop ? A(_loraXd[idx], (long)n * inF) : x;
            var xa = A(_loraXa[idx], (long)n * r);
            var dxa = A(_loraDxa, (long)n * r);
            _gemm.Sgemm(true, false, a.OutF, r, n, scale, dya, ldy, xa, r, 1f, _loraGrads.AsSpan(a.BOffset, a.OutF * r), r);
            _gemm.Sgemm(false, false, n, r, a.OutF, scale, dya, ldy, _loraParams.AsSpan(a.BOffset, a.OutF * r), r, 0f, dxa, r);
            _gemm.Sgemm(true, false, r, inF, n, 1f, dxa, r, xd, inF, 1f, _loraGrads.AsSpan(a.AOffset, r * inF), inF);
            if (!needDx) continue;
            if (!drop)
            {
                _gemm.Sgemm(false, false, n, inF, r, 1f, dxa, r, _loraParams.AsSpan(a.AOffset, r * inF), inF, 1f, dx, inF);
                continue;
            }
            // dx += (dxa·A) ⊙ mask, the mask redrawn from the state the forward pass drew it from.
            var dxd = A(_loraDxd, (long)n * inF);
            _gemm.Sgemm(false, false, n, inF, r, 1f, dxa, r, _loraParams.AsSpan(a.AOffset, r * inF), inF, 0f, dxd, inF);
            DropRows(LoopKind.LoraDropBackward, dxOffset, _loraDxd, inF, _loraRngState[idx], n, map);
        }
    }

    /// <summary>
    /// Backward pass of the last forward pass (which must have had targets): accumulates into
    /// <see cref="TrainableGradients"/> the gradient of <paramref name="lossScale"/> · (−Σ w·logp).
    /// Use 1 / WeightSum for the weighted mean. Overwrites the logits with their gradient.
    /// </summary>
    public void Backward(float lossScale)
    {
        if (InferenceOnly) throw new InvalidOperationException("this model was built for inference only");
        if (!_haveTargets || _logitsAreGrads) throw new InvalidOperationException("Backward needs a Forward pass with targets first");
        int n = _b * _t, c = _c.DModel, v = _c.VocabSize, f = _c.DFf, hd = _c.ResolvedHeadDim;
        var lay = Layout;
        _mark = Stopwatch.GetTimestamp();
        _lossScale = lossScale;
        if (_headMode == HeadMode.Logits)
        {
            RunRows(LoopKind.CrossEntropyBackward);
            Mark(Phase.CrossEntropyBackward);
            _logitsAreGrads = true;
            var dlogits = FullLogits((long)n * v);
            Linear.BackwardInput(_gemm, A(_dln, (long)n * c), dlogits, v, P(lay.Head, v * c), n, c, v, accumulate: false);
            if (_grads is not null) Linear.BackwardParams(_gemm, G(lay.Head, v * c), [], dlogits, v, A(_lnf, (long)n * c), n, c, v);
        }
        else
        {
            HeadBackward(lossScale);
            _logitsAreGrads = true;
        }
        Mark(Phase.LmHeadBackward);
        var dres = A(_dres, (long)n * c);
        dres.Clear();
        // Under tail the final norm, and the last block after its attention, hold the weighted rows only.
        int tailRows = _tail ? _headWeighted : n;
        NormBackward(_dres, _dln, _res[_c.Layers], _lnfMean, _lnfRstd, lay.NormFW, lay.NormFB, tailRows);
        Mark(Phase.NormBackward);

        var dtmp = A(_dtmp, (long)n * c);
        for (int l = _c.Layers - 1; l >= 0; l--)
        {
            var o = lay.Blocks[l];
            bool tail = _tail && l == _c.Layers - 1;
            int rows = tail ? tailRows : n;
            int[]? map = tail ? _headRowIndex : null;
            // res[l+1] = mid + dropout(proj(act))
            ReadOnlySpan<float> dbranch = BranchGrad(dres, dtmp, _mask2[l], rows * c);
            Mark(Phase.ResidualBackward);
            LinearBackward(l, LinearSlot.Proj, _dact, dbranch, c, _actOut[l], o.ProjW, o.ProjB, f, c, rows, map);
            Mark(Phase.MlpDownBackward);
            var dfc = A(_dfc, (long)n * _fcW);
            _aLayer = l;
            RunRows(LoopKind.ActivationBackward, rows);
            if (_grads is not null && o.FcB >= 0)
                for (int k = 0; k < _loopChunks; k++)
                    System.Numerics.Tensors.TensorPrimitives.Add(G(o.FcB, _fcW), A(_biasScratch + k * _fcW, _fcW), G(o.FcB, _fcW));
            Mark(Phase.ActivationBackward);
            // The bias gradient came from the activation pass.
            LinearBackward(l, LinearSlot.Fc, _dln, dfc, _fcW, _ln2[l], o.FcW, -1, c, _fcW, rows, map);
            Mark(Phase.MlpUpBackward);
            NormBackward(_dres, _dln, _mid[l], _ln2Mean[l], _ln2Rstd[l], o.Norm2W, o.Norm2B, rows);
            Mark(Phase.NormBackward);

            // mid = x + dropout(out(attention(rope(qkv(norm1(x)))))) (niels: two dropouts, one stored product mask)
            dbranch = BranchGrad(dres, dtmp, _mask1[l], rows * c);
            Mark(Phase.ResidualBackward);
            LinearBackward(l, LinearSlot.Out, _datty, dbranch, c, tail ? _tailX : _atty[l], o.OutW, o.OutB, _qd, c, rows, map);
            // Back to every row: the gradients of the attention output and of the residual stream are 0 on the rows left out.
            if (tail)
            {
                ScatterRows(_datty, _qd, map!, rows);
                ScatterRows(_dres, c, map!, rows);
            }
            Mark(Phase.OutProjBackward);
            var dqkv = A(_dqkv, (long)n * _qkvW);
            Mark(Phase.AttentionBackward);
            // Every row of dqkv is written by it (each attention unit zeroes what it owns first).
            AttentionBackwardLayer(l);
            Mark(Phase.AttentionBackward);
            RopeRows(_dqkv, inverse: true);
            Mark(Phase.RopeBackward);
            // With a frozen base the gradient below layer 0's q|k|v feeds only the embedding's, which is not trained.
            bool needInput = l > 0 || _grads is not null;
            LinearBackward(l, LinearSlot.Qkv, _dln, dqkv, _qkvW, _ln1[l], o.QkvW, o.QkvB, c, _qkvW, n, needDx: needInput);
            Mark(Phase.QkvBackward);
            if (needInput) NormBackward(_dres, _dln, _res[l], _ln1Mean[l], _ln1Rstd[l], o.Norm1W, o.Norm1B, n);
            Mark(Phase.NormBackward);
        }
        if (_grads is not null)
            Embedding.Backward(G(lay.Wte, v * c), G(lay.Wpe, _t * c), BranchGrad(dres, dtmp, _maskEmb, n * c), _tokens.AsSpan(0, n), _b, _t, c);
        Mark(Phase.EmbeddingBackward);
    }

    private ReadOnlySpan<float> BranchGrad(Span<float> dres, Span<float> dtmp, int maskOffset, int count)
    {
        if (!_training || maskOffset < 0) return dres;
        Dropout.Apply(dtmp[..count], dres[..count], A(maskOffset, count));
        return dtmp;
    }

    /// <summary>Folds every adapter into the base weights: W[cols] += (alpha / r)·B·A. The adapters stay as they are.</summary>
    public void MergeLora()
    {
        if (Lora is null) throw new InvalidOperationException("this model has no LoRA adapters");
        int r = Lora.Config.Rank;
        foreach (var a in Lora.Adapters)
        {
            var o = Layout.Blocks[a.Layer];
            int w = a.Slot switch { LinearSlot.Qkv => o.QkvW, LinearSlot.Out => o.OutW, LinearSlot.Fc => o.FcW, _ => o.ProjW };
            var target = _params.AsSpan(w + a.ColStart * a.InF, a.OutF * a.InF);
            _gemm.Sgemm(false, false, a.OutF, a.InF, r, Lora.Config.Scale, _loraParams.AsSpan(a.BOffset, a.OutF * r), r,
                _loraParams.AsSpan(a.AOffset, r * a.InF), a.InF, 1f, target, a.InF);
        }
    }

    /// <summary>Seconds spent per phase (forward and backward apart) since the last <see cref="ResetProfile"/>.</summary>
    public IReadOnlyList<KeyValuePair<string, double>> Profile() =>
        Enumerable.Range(0, (int)Phase.Count)
            .Select(i => new KeyValuePair<string, double>(PhaseName((Phase)i), _profileTicks[i] / (double)Stopwatch.Frequency))
            .ToList();

    /// <summary>Zeroes the per-phase timers.</summary>
    public void ResetProfile() => Array.Clear(_profileTicks);

    private static string PhaseName(Phase p)
    {
        var s = p.ToString();
        bool fwd = s.EndsWith("Forward", StringComparison.Ordinal);
        var stem = s[..^(fwd ? "Forward".Length : "Backward".Length)];
        return $"{stem.ToLowerInvariant()}.{(fwd ? "forward" : "backward")}";
    }

    private void Mark(Phase phase)
    {
        long now = Stopwatch.GetTimestamp();
        _profileTicks[(int)phase] += now - _mark;
        _mark = now;
    }

    private enum Phase
    {
        EmbeddingForward, NormForward, QkvForward, RopeForward, AttentionForward, OutProjForward, ResidualForward,
        MlpUpForward, ActivationForward, MlpDownForward, LmHeadForward, CrossEntropyForward,
        CrossEntropyBackward, LmHeadBackward, NormBackward, MlpDownBackward, ActivationBackward, MlpUpBackward,
        ResidualBackward, OutProjBackward, AttentionBackward, RopeBackward, QkvBackward, EmbeddingBackward,
        Count,
    }
}
