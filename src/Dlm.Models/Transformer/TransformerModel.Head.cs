using System.Numerics.Tensors;
using Dlm.Models.Layers;

namespace Dlm.Models.Transformer;

// The LM head and cross-entropy over the rows that need them, in chunks of _headRows rows:
// gather the chunk's final-norm rows, logits = x·Wᵀ, then in one pass over each logits row the
// log-sum-exp, log p(target) and (when a gradient is wanted) w·(softmax − onehot) in place,
// and the chunk's two gradient GEMMs: dx = g·W and dW (+)= gᵀ·x. So the logits of a chunk live
// only while it is processed, and rows of weight 0 take part in no GEMM at all.
//
// A training forward pass computes the head's gradient at once, with the loss scale left out
// (g is linear in it): dx goes to a compact [rows, C] buffer and dW to a [V, C] buffer, and
// Backward(scale) applies the scale while scattering dx and adding dW. That saves the second
// logits GEMM a separate backward would need. A forward pass that is not training computes the
// loss only; a Backward after it recomputes the chunks with the scale inside.
public sealed partial class TransformerModel
{
    private readonly int[] _headRowIndex;   // active rows: the weighted ones first, then (Targets mode) the unweighted with a target
    private readonly int _headChunk, _headX, _headDx, _headDw;
    private readonly int _headRowsCapacity;
    private float[]? _fullLogits;           // HeadMode.Logits only, allocated on first use
    private HeadMode _headMode;
    private int _headActive, _headWeighted; // rows in _headRowIndex, and how many of them are weighted
    private bool _headPending;              // the forward pass left an unscaled head gradient in _headDx/_headDw
    private bool _headDwWritten;
    private int _headStart, _headCount, _headGradRows; // the chunk the HeadLoss loop works on
    private float _headScale;
    private bool _headGradient;

    /// <summary>Rows per LM-head chunk (tests set it lower to cover several chunks; at most the allocated capacity).</summary>
    internal int HeadChunkRows
    {
        get => _headRows;
        set => _headRows = Math.Clamp(value, 1, _headRowsCapacity);
    }

    private int _headRows;

    // Rows per chunk: a chunk of logits of at most ~16M floats (64 MB), in whole multiples of the
    // managed GEMM's depth block (384) so the weight-gradient GEMM has no short depth blocks.
    private static int DefaultHeadRows(int vocab, int maxTokens)
    {
        const long budget = 16L << 20;
        long rows = Math.Max(384, budget / vocab / 384 * 384);
        return (int)Math.Min(rows, maxTokens);
    }

    private Span<float> FullLogits(long length) => _fullLogits.AsSpan(0, (int)length);

    // The rows the head will see for HeadMode.Weighted / Targets (the weighted ones first, ascending),
    // found before the blocks run: under Weighted the last block works on those rows only (TransformerModel.Tail.cs).
    private void HeadRows(HeadMode mode)
    {
        int n = _b * _t;
        int w = 0;
        for (int i = 0; i < n; i++)
            if (_targets[i] >= 0 && _weights[i] != 0f) _headRowIndex[w++] = i;
        int active = w;
        if (mode == HeadMode.Targets)
            for (int i = 0; i < n; i++)
                if (_targets[i] >= 0 && _weights[i] == 0f) _headRowIndex[active++] = i;
        _headWeighted = w;
        _headActive = active;
    }

    // Forward of the head and loss for HeadMode.Weighted / Targets (HeadRows has run).
    private void HeadForward()
    {
        int n = _b * _t;
        A(_logp, n).Clear();
        bool gradient = _training && !InferenceOnly;
        HeadPass(gradient, 1f, deferred: true);
        _headPending = gradient;
    }

    // Backward of the head for the chunked modes: leaves dL/d(final-norm output) in _dln.
    private void HeadBackward(float scale)
    {
        int c = _c.DModel, v = _c.VocabSize;
        if (!_headPending) HeadPass(gradient: true, scale, deferred: false);
        var dln = A(_dln, (long)_b * _t * c);
        dln.Clear();
        float factor = _headPending ? scale : 1f;
        // With the last block on the weighted rows only, its rows are the head's rows in the same order.
        if (_tail) TensorPrimitives.Multiply(A(_headDx, (long)_headWeighted * c), factor, dln[..(_headWeighted * c)]);
        else
            for (int j = 0; j < _headWeighted; j++)
                TensorPrimitives.Multiply(A(_headDx + j * c, c), factor, dln.Slice(_headRowIndex[j] * c, c));
        if (_headPending && _headDwWritten && _grads is not null)
        {
            var g = G(Layout.Head, v * c);
            TensorPrimitives.MultiplyAdd(A(_headDw, (long)v * c), scale, g, g);
        }
        _headPending = false;
    }

    // One pass over the active rows in chunks. gradient: also g·W into _headDx (compact, by active
    // index) and gᵀ·x into _headDw (deferred) or straight into the head's gradient (not deferred).
    private void HeadPass(bool gradient, float scale, bool deferred)
    {
        int c = _c.DModel, v = _c.VocabSize;
        var lnf = A(_lnf, (long)_b * _t * c);
        var w = P(Layout.Head, v * c);
        _headDwWritten = false;
        for (int j0 = 0; j0 < _headActive; j0 += _headRows)
        {
            int m = Math.Min(_headRows, _headActive - j0);
            int gm = gradient ? Math.Clamp(_headWeighted - j0, 0, m) : 0;
            var x = A(_headX, (long)m * c);
            if (_tail) lnf.Slice(j0 * c, m * c).CopyTo(x);
            else
                for (int i = 0; i < m; i++) lnf.Slice(_headRowIndex[j0 + i] * c, c).CopyTo(x.Slice(i * c, c));
            var logits = A(_headChunk, (long)m * v);
            _gemm.Sgemm(false, true, m, v, c, 1f, x, c, w, c, 0f, logits, v);
            Mark(Phase.LmHeadForward);

            (_headStart, _headCount, _headGradRows, _headScale, _headGradient) = (j0, m, gm, scale, gradient);
            RunLoop(LoopKind.HeadLoss, Math.Min(m, _maxChunks));
            Mark(Phase.CrossEntropyForward);
            if (gm == 0) continue;

            _gemm.Sgemm(false, false, gm, c, v, 1f, logits, v, w, c, 0f, A(_headDx + j0 * c, (long)gm * c), c);
            if (_grads is not null)
            {
                var dw = deferred ? A(_headDw, (long)v * c) : G(Layout.Head, v * c);
                _gemm.Sgemm(true, false, v, c, gm, 1f, logits, v, x, c, deferred && !_headDwWritten ? 0f : 1f, dw, c);
                _headDwWritten = true;
            }
            Mark(Phase.LmHeadBackward);
        }
    }

    // Rows [s, e) of the current chunk: lse, log p(target) and, for the chunk's first _headGradRows
    // rows, the gradient scale·w·(softmax − onehot) in place of the logits.
    private void HeadLossRows(int s, int e)
    {
        int v = _c.VocabSize;
        var logits = A(_headChunk, (long)_headCount * v);
        var lse = A(_lse, _b * _t);
        var logp = A(_logp, _b * _t);
        for (int i = s; i < e; i++)
        {
            int row = _headRowIndex[_headStart + i];
            var x = logits.Slice(i * v, v);
            int tg = _targets[row];
            bool gradient = _headGradient && i < _headGradRows;
            var (l, lp) = CrossEntropy.RowInPlace(x, tg, gradient, gradient ? _headScale * _weights[row] : 0f);
            lse[row] = l;
            logp[row] = lp;
        }
    }
}
