using Dlm.Numerics.Kernels;

namespace Dlm.Models.Generation;

// Shared prefixes: CopySequence(from, to) does not copy a cached prompt; `to` reads it from the
// sequence that holds it (its root) and owns only the positions after it. A root's rows below the
// length any sequence shares are never written while shared: before a root forgets positions (Truncate,
// Reset, or being overwritten by a copy), the sequences reading them take private copies of exactly
// those positions into their own rows (where the shared positions' places lie unused), so nobody
// writes a shared row and nothing is copied until something would. The sharing is a star: a
// sequence reads from at most one root, and a root reads from nobody.
//
// A decode step then groups its rows by the prefix they read: one attention unit per KV head and
// chunk of a group reads the prefix's rows once for all the chunk's queries (GroupAttention.DecodeShared),
// with each query's arithmetic that of its sequence alone.
public sealed unsafe partial class InferenceSession
{
    // _root[s]: the sequence whose rows s reads for its first _shared[s] positions (-1: none, s owns all its rows).
    private readonly int[] _root, _shared;

    // The attention plan of the step in flight: units, and their rows in _unitRows.
    private readonly AttentionUnit[] _units;
    private readonly AttentionRow[] _unitRows;
    private readonly int[] _rowRoot, _rowShared, _unitRowIndex;
    private readonly bool[] _rowPlanned;
    private int _unitCount;

    // Whether the plan's units are whole KV groups, each (row, group) in exactly one unit: the unit then
    // turns and stores its rows' keys and values itself (PrepareRow) before its attention, so the step has
    // one parallel region for RoPE, the cache writes and attention instead of a serial pass before it.
    private bool _unitsPrepareRows;

    private struct AttentionUnit
    {
        public int SharedAt, Shared, RowStart, RowCount, Heads, Group;
    }

    /// <summary>
    /// Positions of sequence <paramref name="sequence"/> read from another sequence's cache (a prompt
    /// shared by <see cref="CopySequence"/>), 0 when it holds all its positions itself.
    /// </summary>
    public int SharedLength(int sequence) => _root[sequence] >= 0 ? _shared[sequence] : 0;

    // Every sequence reading more than `keep` positions of root's rows takes a private copy of positions
    // [keep, its shared length) and reads only the first `keep` from the root (none when keep is 0).
    private void ReleaseSharedFrom(int root, int keep)
    {
        for (int s = 0; s < Sequences; s++)
        {
            if (_root[s] != root || _shared[s] <= keep) continue;
            CopyRows(root, s, keep, _shared[s]);
            _shared[s] = keep;
            if (keep == 0) _root[s] = -1;
        }
    }

    // The sequence stops reading a prefix: it copies the shared positions into its own rows.
    private void OwnAllRows(int sequence)
    {
        int root = _root[sequence];
        if (root < 0) return;
        CopyRows(root, sequence, 0, _shared[sequence]);
        _root[sequence] = -1;
        _shared[sequence] = 0;
    }

    // Cache positions [from, to) of every layer and KV head, from sequence a's rows into b's.
    private void CopyRows(int a, int b, int from, int to)
    {
        if (to <= from) return;
        int count = (to - from) * _hd;
        for (int l = 0; l < _c.Layers; l++)
            for (int g = 0; g < _c.KvHeads; g++)
            {
                int src = CacheOffset(a, g, from), dst = CacheOffset(b, g, from);
                _k[l].AsSpan(src, count).CopyTo(_k[l].AsSpan(dst));
                _v[l].AsSpan(src, count).CopyTo(_v[l].AsSpan(dst));
            }
    }

    // Groups the step's rows by the prefix they read and lays out the attention units.
    private void PlanAttention(int n)
    {
        for (int i = 0; i < n; i++)
        {
            int s = _rowSlot[i];
            (_rowRoot[i], _rowShared[i]) = _root[s] >= 0 ? (_root[s], _shared[s]) : (s, 0);
            _rowPlanned[i] = false;
        }
        // A root in the step reads its own rows; it joins the group of a sequence that shares them
        // (any split of its positions gives the same bits).
        for (int i = 0; i < n; i++)
        {
            if (_root[_rowSlot[i]] >= 0) continue;
            for (int e = 0; e < n; e++)
                if (_root[_rowSlot[e]] == _rowSlot[i]) { _rowShared[i] = _rowShared[e]; break; }
        }
        int kv = _c.KvHeads, threads = _pool.Threads;
        _unitCount = 0;
        int entries = 0;
        _unitsPrepareRows = n * kv >= threads;
        if (!_unitsPrepareRows)
        {
            // Fewer (row, group) pairs than threads: one unit per query head, so that the step still spreads over
            // the threads (a head alone has the bits it has in its group). With a pair per thread or more, whole
            // groups read their keys and values once for all their heads, which beat the better balance of heads:
            // one SmolLM2-135M sequence (3 groups, 2 threads) took 1.9-2.0 ms of attention per step against 2.9-3.8.
            for (int i = 0; i < n; i++)
                for (int h = 0; h < _c.Heads; h++)
                {
                    int g = h / _group, j = h % _group;
                    _units[_unitCount++] = new AttentionUnit { SharedAt = CacheOffset(_rowRoot[i], g, 0), Shared = _rowShared[i], RowStart = entries, RowCount = 1, Heads = 1, Group = g };
                    _unitRowIndex[entries] = i;
                    _unitRows[entries++] = new AttentionRow(i * _qkvW + h * _hd, CacheOffset(_rowSlot[i], g, 0), _rowPos[i] + 1,
                        ((i * kv + g) * _group + j) * Capacity, i * _qd + h * _hd);
                }
            return;
        }
        for (int i = 0; i < n; i++)
        {
            if (_rowPlanned[i]) continue;
            // The group of row i: the rows after it that read the same prefix (only itself when it reads none).
            int members = 0;
            for (int e = i; e < n; e++)
                if (e == i || (_rowShared[i] > 0 && !_rowPlanned[e] && _rowRoot[e] == _rowRoot[i] && _rowShared[e] == _rowShared[i]))
                {
                    _rowPlanned[e] = true;
                    _rowGroup[members++] = e;
                }
            // Chunks of the group per KV head: its share of about two units per thread.
            int chunks = Math.Clamp((2 * threads * members + n * kv - 1) / (n * kv), 1, members);
            int size = (members + chunks - 1) / chunks;
            for (int g = 0; g < kv; g++)
                for (int c0 = 0; c0 < members; c0 += size)
                {
                    int count = Math.Min(size, members - c0);
                    _units[_unitCount++] = new AttentionUnit { SharedAt = CacheOffset(_rowRoot[i], g, 0), Shared = _rowShared[i], RowStart = entries, RowCount = count, Heads = _group, Group = g };
                    for (int m = c0; m < c0 + count; m++)
                    {
                        int r = _rowGroup[m];
                        _unitRowIndex[entries] = r;
                        _unitRows[entries++] = new AttentionRow(r * _qkvW + g * _group * _hd, CacheOffset(_rowSlot[r], g, 0), _rowPos[r] + 1,
                            (r * kv + g) * _group * Capacity, r * _qd + g * _group * _hd);
                    }
                }
        }
    }

    // Decode attention of one unit of the plan, against the layer in flight.
    private void UnitAttention(int index)
    {
        ref readonly var u = ref _units[index];
        if (_unitsPrepareRows)
            for (int e = u.RowStart; e < u.RowStart + u.RowCount; e++) PrepareRow(_unitRowIndex[e], u.Group);
        GroupAttention.DecodeShared(_qkv, _hd, u.Heads, _k[_layer], _v[_layer], u.SharedAt, u.Shared, _unitRows.AsSpan(u.RowStart, u.RowCount), _hd,
            1f / MathF.Sqrt(_hd), _att, Capacity, _atty, _hd);
    }
}
