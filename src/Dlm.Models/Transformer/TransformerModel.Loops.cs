using Dlm.Models.Layers;
using Dlm.Numerics.Gemm;
using Dlm.Numerics.Threading;

namespace Dlm.Models.Transformer;

// The row-wise kernels of a step, spread over the worker pool without allocating: the loop's
// arguments are arena offsets kept in fields (spans cannot live in a struct body), the body is a
// struct holding only the model, and each index runs one chunk of rows (or attention units).
// Chunk boundaries depend only on the row count and the pool's thread count, so a run is
// deterministic for a given DLM_THREADS.
public sealed partial class TransformerModel
{
    private enum LoopKind
    {
        CrossEntropyForward, CrossEntropyBackward, NormBackward,
        ActivationForward, ActivationBackward, Rope, AttentionForward, AttentionBackward, AttentionReduce, Residual, HeadLoss,
        LoraDropForward, LoraDropBackward,
    }

    private readonly struct ModelLoop(TransformerModel model) : IParallelBody
    {
        public void Invoke(int index) => model.RunChunk(index);
    }

    // Arguments of the loop in flight (offsets into _act, or into _params for weights).
    private LoopKind _loop;
    private int _loopChunks, _aY, _aMean, _aRstd, _aX, _aDy, _aW, _aB, _aLayer;
    private int _aMask, _aBranchBias, _aWidth, _aNormY, _aNormMean, _aNormRstd, _aNormW, _aNormB;
    private bool _aTwice;
    private ulong _aRngState;
    private int _loopRows;            // rows the loop in flight cuts into chunks (all of the batch, or the tail's)
    private int[]? _aXMap, _aDropMap; // Residual: x rows, and dropout stream rows, of compacted rows (null: the row itself)
    private bool _aInverse;

    private void RunLoop(LoopKind kind, int chunks)
    {
        _loop = kind;
        _loopChunks = chunks;
        _pool.For(chunks, new ModelLoop(this));
    }

    // Rows of the current batch, cut into at most _maxChunks chunks.
    private void RunRows(LoopKind kind) => RunRows(kind, _b * _t);

    // The first `count` rows of the buffers (fewer than the batch under the tail).
    private void RunRows(LoopKind kind, int count)
    {
        _loopRows = count;
        RunLoop(kind, Math.Max(1, Math.Min(count, _maxChunks)));
    }

    private (int Start, int End) ChunkRange(int k, int count) =>
        ((int)((long)count * k / _loopChunks), (int)((long)count * (k + 1) / _loopChunks));

    private void RunChunk(int k)
    {
        // Spans cover the whole batch (the buffers' size); the loop runs over its first _loopRows rows.
        int rows = _b * _t, c = _c.DModel, v = _c.VocabSize, f = _c.DFf;
        var (s, e) = _loop is LoopKind.AttentionForward or LoopKind.AttentionBackward ? (k, k + 1) : ChunkRange(k, _loopRows);
        switch (_loop)
        {
            case LoopKind.CrossEntropyForward:
                CrossEntropy.Forward(A(_logp, rows), A(_lse, rows), FullLogits((long)rows * v), _targets,
                    A(_ceScratch + k * v, v), v, s, e);
                break;
            case LoopKind.CrossEntropyBackward:
                CrossEntropy.Backward(FullLogits((long)rows * v), A(_lse, rows), _targets, _weights, _lossScale, v, s, e);
                break;
            case LoopKind.NormBackward:
            {
                // Weight (and bias) gradients are shared by all rows: each chunk sums into its own
                // slice of _normScratch and the caller adds the slices in chunk order.
                var dw = _grads is null || _aW < 0 ? [] : A(_normScratch + k * 2 * c, c);
                var db = _grads is null || _aB < 0 ? [] : A(_normScratch + k * 2 * c + c, c);
                dw.Clear();
                db.Clear();
                if (_rms) RmsNorm.Backward(A(_aY, (long)rows * c), dw, A(_aDy, (long)rows * c), A(_aX, (long)rows * c), P(_aW, c), A(_aRstd, rows), c, s, e);
                else LayerNorm.Backward(A(_aY, (long)rows * c), dw, db, A(_aDy, (long)rows * c), A(_aX, (long)rows * c), P(_aW, c), A(_aMean, rows), A(_aRstd, rows), c, s, e);
                break;
            }
            case LoopKind.ActivationForward:
            {
                // The gate|up (or fc) bias is added here, row by row just before the activation reads
                // the row, instead of in a pass of its own after the GEMM.
                var fc = A(_fc[_aLayer], (long)rows * _fcW);
                var act = A(_actOut[_aLayer], (long)rows * f);
                var bias = P(Layout.Blocks[_aLayer].FcB, _fcW);
                for (int r = s; r < e; r++)
                {
                    if (!bias.IsEmpty)
                    {
                        var row = fc.Slice(r * _fcW, _fcW);
                        System.Numerics.Tensors.TensorPrimitives.Add(row, bias, row);
                    }
                    if (_rms) Activations.SwiGluForward(act, fc, f, r, r + 1);
                    else Activations.GeluForward(act, fc, f, r, r + 1);
                }
                break;
            }
            case LoopKind.ActivationBackward:
            {
                // ... and its gradient, Σ over rows of d(fc), summed per chunk while each row is in cache.
                var dfc = A(_dfc, (long)rows * _fcW);
                var fc = A(_fc[_aLayer], (long)rows * _fcW);
                var dact = A(_dact, (long)rows * f);
                bool bias = _grads is not null && Layout.Blocks[_aLayer].FcB >= 0;
                var db = bias ? A(_biasScratch + k * _fcW, _fcW) : [];
                db.Clear();
                for (int r = s; r < e; r++)
                {
                    if (_rms) Activations.SwiGluBackward(dfc, dact, fc, f, r, r + 1);
                    else Activations.GeluBackward(dfc, dact, fc, f, r, r + 1);
                    if (bias) System.Numerics.Tensors.TensorPrimitives.Add(db, dfc.Slice(r * _fcW, _fcW), db);
                }
                break;
            }
            case LoopKind.Rope:
                _rope!.Apply(A(_aY, (long)rows * _qkvW), _qkvW, _c.Heads + _c.KvHeads, _c.ResolvedHeadDim, _t, s, e, _aInverse);
                break;
            case LoopKind.Residual:
                ResidualRows(s, e);
                break;
            case LoopKind.LoraDropForward when _aDropMap is { } map:
                // Compacted rows: row r's mask is drawn from row map[r]'s place in the stream.
                for (int r = s; r < e; r++)
                {
                    var rng = new SplitMix64(_aRngState);
                    rng.Skip((long)map[r] * _aWidth);
                    Dropout.ApplyDrawn(A(_aY + r * _aWidth, _aWidth), A(_aX + r * _aWidth, _aWidth), Lora!.Config.Dropout, ref rng);
                }
                break;
            case LoopKind.LoraDropBackward when _aDropMap is { } map:
                for (int r = s; r < e; r++)
                {
                    var rng = new SplitMix64(_aRngState);
                    rng.Skip((long)map[r] * _aWidth);
                    Dropout.MultiplyAddDrawn(A(_aY + r * _aWidth, _aWidth), A(_aX + r * _aWidth, _aWidth), Lora!.Config.Dropout, ref rng);
                }
                break;
            case LoopKind.LoraDropForward:
            {
                // xd = x ⊙ mask for rows [s, e): the chunk's slice of the adapter's mask, from its place in the stream.
                var rng = new SplitMix64(_aRngState);
                rng.Skip((long)s * _aWidth);
                Dropout.ApplyDrawn(A(_aY + s * _aWidth, (e - s) * _aWidth), A(_aX + s * _aWidth, (e - s) * _aWidth), Lora!.Config.Dropout, ref rng);
                break;
            }
            case LoopKind.LoraDropBackward:
            {
                // dx += dxd ⊙ mask for rows [s, e), the forward mask redrawn.
                var rng = new SplitMix64(_aRngState);
                rng.Skip((long)s * _aWidth);
                Dropout.MultiplyAddDrawn(A(_aY + s * _aWidth, (e - s) * _aWidth), A(_aX + s * _aWidth, (e - s) * _aWidth), Lora!.Config.Dropout, ref rng);
                break;
            }
            case LoopKind.HeadLoss:
            {
                var (hs, he) = ChunkRange(k, _headCount);
                HeadLossRows(hs, he);
                break;
            }
            case LoopKind.AttentionForward:
                AttentionForwardUnits(k);
                break;
            case LoopKind.AttentionBackward:
                AttentionBackwardUnits(k);
                break;
            case LoopKind.AttentionReduce:
                AttentionReduceRows(s, e);
                break;
        }
    }

    // Attention runs its block GEMMs inside the loop body. The managed GEMM then runs them on
    // the calling worker (a nested loop is inline); another backend may start threads of its own
    // per call, so it gets the units one after another and keeps its own parallelism. PerShapeGemm
    // takes the managed kernel for every call made inside a loop body.
    private bool ParallelAttention => _gemm is ManagedGemm or PerShapeGemm;

    /// <summary>Query/key rows per attention block (tests vary it; at most <see cref="TiledAttention.DefaultBlock"/>, which sizes the scratch).</summary>
    internal int AttentionBlock
    {
        get => _attBlock;
        set => _attBlock = value is >= 1 and <= TiledAttention.DefaultBlock ? value : throw new ArgumentOutOfRangeException(nameof(value));
    }

    private int _attBlock = TiledAttention.DefaultBlock;

    // Forward units are (sequence, head, query block), chunked so that each chunk has its own scratch.
    // With dropout, head (b, h) draws its mask from position (b·H + h)·T² of this layer's stream
    // (whatever the thread count); backward redraws the same mask from the saved state.
    private void AttentionForwardLayer(int l)
    {
        _aLayer = l;
        int heads = _b * _c.Heads, units = heads * TiledAttention.Blocks(_t, _attBlock);
        bool drop = _training && _c.Dropout > 0;
        _attRngState[l] = _rng.State;
        if (drop) _rng.Skip((long)heads * _t * _t);
        if (ParallelAttention) RunLoop(LoopKind.AttentionForward, Math.Min(units, _maxChunks));
        else
        {
            _loopChunks = 1;
            AttentionForwardUnits(0);
        }
    }

    private void AttentionForwardUnits(int k)
    {
        int n = _b * _t, l = _aLayer, blocks = TiledAttention.Blocks(_t, _attBlock);
        var (s, e) = ChunkRange(k, _b * _c.Heads * blocks);
        var y = A(_atty[l], (long)n * _qd);
        var lse = A(_attLse[l], (long)n * _c.Heads);
        var qkv = A(_qkv[l], (long)n * _qkvW);
        var scratch = AttScratch(k);
        float p = _training ? _c.Dropout : 0f;
        for (int unit = s; unit < e; unit++)
        {
            int bh = unit / blocks;
            TiledAttention.Forward(_gemm, y, lse, qkv, scratch, bh / _c.Heads, bh % _c.Heads, unit % blocks, _t, _c.Heads, _c.KvHeads,
                _c.ResolvedHeadDim, _attBlock, p, _attRngState[l]);
        }
    }

    // Units are (sequence, head): a unit owns its q gradients. Without grouping (H = KV) it owns its k/v
    // gradients too and writes them in place; with GQA each head writes its share of its group's k/v
    // gradients into its own slice of _attDkv, and a row loop then adds the shares in head order
    // (deterministic, no atomics, and H units rather than KV to spread over the threads).
    private void AttentionBackwardLayer(int l)
    {
        _aLayer = l;
        int units = _b * _c.Heads;
        if (ParallelAttention) RunLoop(LoopKind.AttentionBackward, Math.Min(units, _maxChunks));
        else
        {
            _loopChunks = 1;
            AttentionBackwardUnits(0);
        }
        if (_c.Heads != _c.KvHeads) RunRows(LoopKind.AttentionReduce);
    }

    private void AttentionBackwardUnits(int k)
    {
        int n = _b * _t, l = _aLayer, hd = _c.ResolvedHeadDim, heads = _c.Heads, group = heads / _c.KvHeads;
        var (s, e) = ChunkRange(k, _b * heads);
        var dqkv = A(_dqkv, (long)n * _qkvW);
        var datty = A(_datty, (long)n * _qd);
        var y = A(_atty[l], (long)n * _qd);
        var lse = A(_attLse[l], (long)n * heads);
        var qkv = A(_qkv[l], (long)n * _qkvW);
        var scratch = AttScratch(k);
        float p = _training ? _c.Dropout : 0f;
        for (int unit = s; unit < e; unit++)
        {
            int b = unit / heads, h = unit % heads, g = h / group;
            // The unit zeroes the gradient rows it owns (its q head, and without grouping its k/v head)
            // before accumulating into them, on its own thread, instead of a serial clear of all of dqkv.
            for (int i = 0; i < _t; i++)
            {
                int row = (b * _t + i) * _qkvW;
                dqkv.Slice(row + h * hd, hd).Clear();
                if (group != 1) continue;
                dqkv.Slice(row + heads * hd + g * hd, hd).Clear();
                dqkv.Slice(row + (heads + _c.KvHeads) * hd + g * hd, hd).Clear();
            }
            if (group == 1)
            {
                int rowBase = b * _t * _qkvW;
                TiledAttention.BackwardHead(_gemm, dqkv, dqkv, rowBase + heads * hd + g * hd, rowBase + (heads + _c.KvHeads) * hd + g * hd, _qkvW,
                    datty, y, lse, qkv, scratch, b, h, _t, heads, _c.KvHeads, hd, _attBlock, p, _attRngState[l]);
                continue;
            }
            var share = A(_attDkv + unit * _t * 2 * hd, (long)_t * 2 * hd);
            share.Clear();
            TiledAttention.BackwardHead(_gemm, dqkv, share, 0, hd, 2 * hd,
                datty, y, lse, qkv, scratch, b, h, _t, heads, _c.KvHeads, hd, _attBlock, p, _attRngState[l]);
        }
    }

    // dk, dv of each kv group = the sum of the shares of its heads, in head order, for rows s..e.
    private void AttentionReduceRows(int s, int e)
    {
        int hd = _c.ResolvedHeadDim, heads = _c.Heads, kv = _c.KvHeads, group = heads / kv;
        var dqkv = A(_dqkv, (long)_b * _t * _qkvW);
        var shares = A(_attDkv, (long)_b * heads * _t * 2 * hd);
        for (int r = s; r < e; r++)
        {
            int b = r / _t, i = r % _t;
            for (int g = 0; g < kv; g++)
            {
                var dk = dqkv.Slice(r * _qkvW + heads * hd + g * hd, hd);
                var dv = dqkv.Slice(r * _qkvW + (heads + kv) * hd + g * hd, hd);
                for (int h = g * group; h < (g + 1) * group; h++)
                {
                    var share = shares.Slice(((b * heads + h) * _t + i) * 2 * hd, 2 * hd);
                    // The first head's share is copied (dk, dv are not cleared beforehand: 0 + x = x).
                    if (h == g * group)
                    {
                        share[..hd].CopyTo(dk);
                        share[hd..].CopyTo(dv);
                        continue;
                    }
                    System.Numerics.Tensors.TensorPrimitives.Add(dk, share[..hd], dk);
                    System.Numerics.Tensors.TensorPrimitives.Add(dv, share[hd..], dv);
                }
            }
        }
    }

    private Span<float> AttScratch(int chunk)
    {
        int len = TiledAttention.ScratchFloats(MaxSeq, TiledAttention.DefaultBlock);
        return A(_attScratch + chunk * len, len);
    }

    // dx += norm backward of dy over the first `rows` rows; the weight and bias gradients accumulate chunk by chunk in order.
    private void NormBackward(int dx, int dy, int x, int meanOffset, int rstdOffset, int w, int bias, int rows)
    {
        (_aY, _aDy, _aX, _aMean, _aRstd, _aW, _aB) = (dx, dy, x, meanOffset, rstdOffset, w, bias);
        RunRows(LoopKind.NormBackward, rows);
        if (_grads is null) return;
        int c = _c.DModel;
        for (int k = 0; k < _loopChunks; k++)
        {
            if (w >= 0) System.Numerics.Tensors.TensorPrimitives.Add(G(w, c), A(_normScratch + k * 2 * c, c), G(w, c));
            if (bias >= 0) System.Numerics.Tensors.TensorPrimitives.Add(G(bias, c), A(_normScratch + k * 2 * c + c, c), G(bias, c));
        }
    }

    // y = x + dropout(branch) (y = dropout(branch) when x < 0), branch in _branch, then the norm that
    // follows every residual add in these models (the next block's first, the MLP's, or the final one)
    // of y into normY, row by row while the row is in cache: one pass over memory instead of two.
    // The mask is drawn here when training, each chunk from its own position in the stream, so the
    // mask is the one a sequential draw would give. With twice, the branch is dropped by two masks in
    // a row (niels-gpt's attention output passes the attention's resid_dropout and then the block's dropout).
    // Under the tail, `rows` < B·T compacted rows: row r of y, the branch, the mask and the norm stands for
    // batch row dropMap[r] (its mask drawn from that row's place in the stream, which still advances by the
    // whole batch), and x is read at row xMap[r] (null: x is compacted too).
    private void Residual(int y, int x, int maskOffset, bool twice, int normY, int meanOffset, int rstdOffset, int w, int bias, int branchBias = -1,
        int rows = -1, int[]? xMap = null, int[]? dropMap = null)
    {
        _aBranchBias = branchBias;
        bool drop = _training && maskOffset >= 0;
        (_aY, _aX, _aMask, _aRngState, _aTwice) = (y, x, drop ? maskOffset : -1, _rng.State, twice);
        (_aNormY, _aNormMean, _aNormRstd, _aNormW, _aNormB) = (normY, meanOffset, rstdOffset, w, bias);
        (_aXMap, _aDropMap) = (xMap, dropMap);
        RunRows(LoopKind.Residual, rows < 0 ? _b * _t : rows);
        (_aXMap, _aDropMap) = (null, null);
        if (drop) _rng.Skip((twice ? 2L : 1L) * _b * _t * _c.DModel);
    }

    private void ResidualRows(int s, int e)
    {
        int rows = _b * _t, c = _c.DModel;
        var xMap = _aXMap;
        var dropMap = _aDropMap;
        var rng = new SplitMix64(_aRngState);
        rng.Skip((long)s * c);
        // A second, independent mask from the next rows·C draws: the stored mask is their product.
        var second = new SplitMix64(_aRngState);
        second.Skip((long)rows * c + (long)s * c);
        var norm = A(_aNormY, (long)rows * c);
        var rstd = A(_aNormRstd, rows);
        var mean = _rms ? [] : A(_aNormMean, rows);
        var bias = P(_aBranchBias, c);
        for (int r = s; r < e; r++)
        {
            var branch = A(_branch + r * c, c);
            // The branch's output bias (o_proj / down_proj), added here rather than in a pass after its GEMM.
            if (!bias.IsEmpty) System.Numerics.Tensors.TensorPrimitives.Add(branch, bias, branch);
            if (_aMask >= 0)
            {
                if (dropMap is not null)
                {
                    // A compacted row: its masks come from its batch row's place in the stream.
                    rng = new SplitMix64(_aRngState);
                    rng.Skip((long)dropMap[r] * c);
                    second = new SplitMix64(_aRngState);
                    second.Skip((long)rows * c + (long)dropMap[r] * c);
                }
                var mask = A(_aMask + r * c, c);
                Dropout.DrawMask(mask, _c.Dropout, ref rng);
                if (_aTwice) Dropout.ApplyDrawn(mask, _c.Dropout, ref second);
                Dropout.Apply(branch, branch, mask);
            }
            var yr = A(_aY + r * c, c);
            if (_aX >= 0) System.Numerics.Tensors.TensorPrimitives.Add(A(_aX + (xMap is null ? r : xMap[r]) * c, c), branch, yr);
            else branch.CopyTo(yr);
            if (_rms) RmsNorm.Forward(norm, rstd, A(_aY, (long)rows * c), P(_aNormW, c), _c.NormEps, c, r, r + 1);
            else LayerNorm.Forward(norm, mean, rstd, A(_aY, (long)rows * c), P(_aNormW, c), P(_aNormB, c), _c.NormEps, c, r, r + 1);
        }
    }

    // Rows of an adapter's dropout: kind LoraDropForward writes y = x ⊙ mask, LoraDropBackward adds
    // x ⊙ mask to y; both rows × width at arena offsets, the mask drawn from rngState (with a map, row r's
    // from batch row map[r]'s place).
    private void DropRows(LoopKind kind, int y, int x, int width, ulong rngState, int rows, int[]? map)
    {
        (_aY, _aX, _aWidth, _aRngState, _aDropMap) = (y, x, width, rngState, map);
        RunRows(kind, rows);
        _aDropMap = null;
    }

    private void RopeRows(int offset, bool inverse)
    {
        if (_rope is null) return;
        _aY = offset;
        _aInverse = inverse;
        RunRows(LoopKind.Rope);
    }
}
