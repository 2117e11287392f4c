using System.Numerics.Tensors;
using Dlm.Models.Layers;
using Dlm.Models.Lora;
using Dlm.Numerics.Kernels;
using Dlm.Numerics.Threading;

namespace Dlm.Models.Generation;

// The forward pass over the rows of one prefill chunk or one decode step: row i is token
// _rowToken[i] at position _rowPos[i] of sequence _rowSlot[i]. Its keys and values go into the
// cache before attention reads it, and the final-normed hidden states are left in _h.
public sealed unsafe partial class InferenceSession
{
    private void Forward(int n, bool block)
    {
        _n = n;
        int c = _c.DModel;
        var lay = _m.Layout;
        _useGemm = block && n > MatVecRows;
        var x = _x.AsSpan(0, n * c);
        var pos = _widen.AsSpan(0, c);
        for (int i = 0; i < n; i++)
        {
            var row = x.Slice(i * c, c);
            _m.ReadRow(lay.Wte, _rowToken[i], c, row);
            if (lay.Wpe < 0) continue;
            _m.ReadRow(lay.Wpe, _rowPos[i], c, pos);
            TensorPrimitives.Add(row, pos, row);
        }
        Mark(DecodeProfile.Phase.Embed);
        for (int l = 0; l < _c.Layers; l++)
        {
            _layer = l;
            var o = lay.Blocks[l];
            var bv = _m.BlockVecs[l];
            Norm(_x, bv.Norm1W, bv.Norm1B);
            Mark(DecodeProfile.Phase.Norm);
            Linear(l, LinearSlot.Qkv, o.QkvW, _qkvW, c, _h, _qkv, bv.QkvB);
            Mark(DecodeProfile.Phase.Qkv);
            // A step planned by KV group turns and stores each (row, group) inside its attention unit (one parallel region).
            if (block || !_unitsPrepareRows)
                for (int i = 0; i < n; i++)
                    for (int g = 0; g < _c.KvHeads; g++) PrepareRow(i, g);
            Mark(DecodeProfile.Phase.RopeCache);
            if (block) _pool.For(_c.Heads, new Loop(this, LoopKind.BlockAttention));
            else _pool.For(_unitCount, new Loop(this, LoopKind.UnitAttention)); // the step's plan (PlanAttention)
            Mark(DecodeProfile.Phase.Attention);
            Linear(l, LinearSlot.Out, o.OutW, c, _qd, _atty, _branch, bv.OutB);
            Mark(DecodeProfile.Phase.Out);
            TensorPrimitives.Add(x, _branch.AsSpan(0, n * c), x);
            Mark(DecodeProfile.Phase.Residual);
            Norm(_x, bv.Norm2W, bv.Norm2B);
            Mark(DecodeProfile.Phase.Norm);
            Linear(l, LinearSlot.Fc, o.FcW, _fcW, c, _h, _fc, bv.FcB);
            Mark(DecodeProfile.Phase.Fc);
            Activation();
            Mark(DecodeProfile.Phase.Activation);
            Linear(l, LinearSlot.Proj, o.ProjW, c, _c.DFf, _act, _branch, bv.ProjB);
            Mark(DecodeProfile.Phase.Proj);
            TensorPrimitives.Add(x, _branch.AsSpan(0, n * c), x);
            Mark(DecodeProfile.Phase.Residual);
        }
        Norm(_x, _m.NormFW, _m.NormFB);
        Mark(DecodeProfile.Phase.Norm);
    }

    // Adds the time since the last mark to a phase while a decode step is profiled.
    private void Mark(DecodeProfile.Phase phase) => _profiling?.Mark(phase);

    // _h = norm(src) over the rows in flight (weight and bias are offsets into the model's vectors).
    private void Norm(float[] src, int w, int b)
    {
        int c = _c.DModel, n = _n;
        var vec = _m.Vectors;
        if (_rms) RmsNorm.Forward(_h, _rstd, src.AsSpan(0, n * c), vec.AsSpan(w, c), _c.NormEps, c, 0, n);
        else LayerNorm.Forward(_h, _mean, _rstd, src.AsSpan(0, n * c), vec.AsSpan(w, c), vec.AsSpan(b, c), _c.NormEps, c, 0, n);
    }

    // y[:, 0..outF) = x·Wᵀ + bias (+ unmerged adapters), rows in flight.
    private void Linear(int layer, LinearSlot slot, int w, int outF, int inF, float[] x, float[] y, int bias)
    {
        int n = _n;
        LinearRows(w, outF, inF, Ptr(x), n, Ptr(y), outF);
        if (bias >= 0)
        {
            var b = _m.Vectors.AsSpan(bias, outF);
            for (int r = 0; r < n; r++)
            {
                var yr = y.AsSpan(r * outF, outF);
                TensorPrimitives.Add(yr, b, yr);
            }
        }
        var adapters = _adaptersAt[layer, (int)slot];
        if (adapters.Count == 0) return;
        var lora = _m.Lora!;
        var lw = _m.LoraWeights;
        int rank = lora.Config.Rank;
        foreach (var a in adapters)
        {
            var xa = _loraXa.AsSpan(0, n * rank);
            _gemm.Sgemm(false, true, n, rank, inF, 1f, x.AsSpan(0, n * inF), inF, lw.AsSpan(a.AOffset, rank * inF), inF, 0f, xa, rank);
            _gemm.Sgemm(false, true, n, a.OutF, rank, lora.Config.Scale, xa, rank, lw.AsSpan(a.BOffset, a.OutF * rank), rank, 1f,
                y.AsSpan(a.ColStart, (n - 1) * outF + a.OutF), outF);
        }
    }

    // y rows = x rows · Wᵀ for the matrix at layout offset w: a matrix-vector pass for a decode step
    // (any number of sequences: a sequence's result does not depend on the others), a GEMM for a prefill
    // chunk (a block of panels at a time copied out, 16-bit weights widened, as the Wᵀ block the GEMM multiplies by).
    private void LinearRows(int w, int outF, int inF, float* x, int n, float* y, int ldy)
    {
        if (!_useGemm)
        {
            MatVecPass(w, outF, inF, x, n, y, ldy);
            return;
        }
        var xs = new ReadOnlySpan<float>(x, n * inF);
        int block = Math.Max(PanelMatVec.PanelRows, _widen.Length / inF / PanelMatVec.PanelRows * PanelMatVec.PanelRows);
        for (int r0 = 0; r0 < outF; r0 += block)
        {
            int rows = Math.Min(block, outF - r0);
            fixed (float* widen = _widen) _m.ReadTransposed(_pool, w, outF, inF, r0, rows, widen);
            _gemm.Sgemm(false, false, n, rows, inF, 1f, xs, inF, _widen.AsSpan(0, rows * inF), rows, 0f, new Span<float>(y + r0, (n - 1) * ldy + rows), ldy);
        }
    }

    // y rows = x rows · Wᵀ by matrix-vector passes over the matrix's panels.
    private void MatVecPass(int w, int outF, int inF, float* x, int n, float* y, int ldy) =>
        ParallelMatVec.Run(_pool, _m.Panel(w, outF, inF), x, inF, n, y, ldy);

    private enum LoopKind { BlockAttention, UnitAttention, Activation }

    private readonly struct Loop(InferenceSession session, LoopKind kind) : IParallelBody
    {
        public void Invoke(int index)
        {
            switch (kind)
            {
                case LoopKind.BlockAttention: session.BlockAttention(index); break;
                case LoopKind.UnitAttention: session.UnitAttention(index); break;
                default: session.ActivationUnit(index); break;
            }
        }
    }

    // Prefill: query head h of the chunk's rows (consecutive positions of one sequence starting at
    // _blockStart) against every cached position up to the last row, as two GEMMs.
    private void BlockAttention(int h)
    {
        int n = _n, p0 = _blockStart, len = p0 + n, g = h / _group, slot = _rowSlot[0];
        var s = _att.AsSpan(h * _maxRows * Capacity, n * len);
        var keys = _k[_layer].AsSpan(CacheOffset(slot, g, 0), len * _hd);
        var values = _v[_layer].AsSpan(CacheOffset(slot, g, 0), len * _hd);
        _gemm.Sgemm(false, true, n, len, _hd, 1f / MathF.Sqrt(_hd), _qkv.AsSpan(h * _hd, (n - 1) * _qkvW + _hd), _qkvW, keys, _hd, 0f, s, len);
        for (int i = 0; i < n; i++)
        {
            var row = s.Slice(i * len, len);
            Softmax(row[..(p0 + i + 1)]);
            row[(p0 + i + 1)..].Clear();
        }
        _gemm.Sgemm(false, false, n, _hd, len, 1f, s, len, values, _hd, 0f, _atty.AsSpan(h * _hd, (n - 1) * _qd + _hd), _qd);
    }

    private static void Softmax(Span<float> x)
    {
        float max = TensorPrimitives.Max(x);
        TensorPrimitives.Subtract(x, max, x);
        TensorPrimitives.Exp(x, x);
        TensorPrimitives.Multiply(x, 1f / TensorPrimitives.Sum(x), x);
    }
}
