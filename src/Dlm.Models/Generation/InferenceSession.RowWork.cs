using Dlm.Models.Layers;

namespace Dlm.Models.Generation;

// The row-wise work between the matrix passes that is worth threads: RoPE and the cache writes of a
// (row, KV group), and the MLP activation. Every element takes the same operations wherever it runs,
// so splitting the rows or columns over threads changes no bit.
public sealed partial class InferenceSession
{
    /// <summary>
    /// Activations below this many elements run on the caller: a fork-join costs more than they do. A decode step
    /// of 8 SmolLM2-shaped rows (12K elements, about 10 µs in one pass) measured slower split over 2 threads on a
    /// shared machine (the other thread is not always there to take its half), so steps stay on the caller and
    /// only prefill chunks are split.
    /// </summary>
    private const int ActivationParallelMin = 65536;

    /// <summary>Fewest columns of one activation unit.</summary>
    private const int ActivationMinColumns = 256;

    // Activation units of the pass in flight: _actChunks column ranges per row.
    private int _actChunks;

    // Row i of the pass in flight, KV group g: RoPE on the group's query heads and its key head, then the
    // key and value written to the cache at the row's position.
    private void PrepareRow(int i, int g)
    {
        var row = _qkv.AsSpan(i * _qkvW, _qkvW);
        int pos = _rowPos[i];
        if (_rope is not null)
        {
            _rope.ApplyAt(row.Slice(g * _group * _hd, _group * _hd), _group, _hd, pos);
            _rope.ApplyAt(row.Slice(_qd + g * _hd, _hd), 1, _hd, pos);
        }
        int at = CacheOffset(_rowSlot[i], g, pos);
        row.Slice(_qd + g * _hd, _hd).CopyTo(_k[_layer].AsSpan(at, _hd));
        row.Slice(_qd + _kvd + g * _hd, _hd).CopyTo(_v[_layer].AsSpan(at, _hd));
    }

    // _act = SwiGLU or GELU of _fc over the rows in flight: units of (row, column range) over the pool
    // (GELU by whole rows), or all on the caller when the pass is small.
    private void Activation()
    {
        int n = _n, f = _c.DFf;
        if ((long)n * f < ActivationParallelMin)
        {
            _actChunks = 1;
            for (int r = 0; r < n; r++) ActivationUnit(r);
            return;
        }
        int threads = _pool.Threads;
        _actChunks = _rms ? Math.Clamp((2 * threads + n - 1) / n, 1, Math.Max(1, f / ActivationMinColumns)) : 1;
        _pool.For(n * _actChunks, new Loop(this, LoopKind.Activation));
    }

    // Unit `index` of Activation: row index / _actChunks, its (index % _actChunks)-th column range.
    private void ActivationUnit(int index)
    {
        int f = _c.DFf, r = index / _actChunks, k = index % _actChunks;
        if (!_rms)
        {
            Activations.GeluForward(_act, _fc, f, r, r + 1);
            return;
        }
        int c0 = ColumnBoundary(f, k, _actChunks), c1 = ColumnBoundary(f, k + 1, _actChunks);
        SwiGluRows.Forward(_act, _fc, f, r, c0, c1);
    }

    // Start of column range k of `chunks` over f columns, on a multiple of 16 (whole vectors).
    private static int ColumnBoundary(int f, int k, int chunks) =>
        k >= chunks ? f : Math.Min(f, (int)((long)f * k / chunks) / 16 * 16);
}
