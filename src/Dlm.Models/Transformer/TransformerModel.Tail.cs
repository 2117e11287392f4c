namespace Dlm.Models.Transformer;

// The last block on the weighted rows only ("the tail"). Under HeadMode.Weighted a row of weight 0
// (an SFT prompt token, document-training context, padding) is skipped by the LM head, so after the
// last block's attention nothing it feeds is used: its o_proj row, both residual rows, the MLP norm,
// the MLP and the final norm. (Its q|k|v row is still needed: its key and value are every later row's;
// its attention output row is computed, since the tiled kernel works in query blocks, and dropped.)
// The tail gathers the weighted rows of the attention output (in ascending order: _headRowIndex, the
// head's own rows) into _tailX and runs that part of the block on the m compacted rows in the layer's
// usual buffers (row j stands for batch row _headRowIndex[j]); the final norm's rows are then the head's
// rows in the head's order, so the head reads them without a gather. Dropout masks are drawn from each
// kept row's own place in the stream, which advances by the whole batch as before, so every kept row
// sees the mask it would have seen, and the stream after the step is unchanged. In the backward pass
// the same part runs on the m rows, and the gradients of the attention output and of the residual
// stream are spread back to their batch rows (0 on the others) before the attention backward, which
// is then exactly the full computation's, since those rows' gradients are exactly 0 there.
public sealed partial class TransformerModel
{
    private readonly int _tailX; // [B·T, H·hd]: the gathered attention output rows (o_proj's input and its weight gradient's)
    private bool _tail;          // the last forward pass ran the tail

    /// <summary>Whether the last block runs after attention on the weighted rows only under <see cref="HeadMode.Weighted"/> (on by default; tests compare both).</summary>
    internal bool LastBlockOnWeightedRows { get; set; } = true;

    /// <summary>Whether the last forward pass ran the last block on the weighted rows only.</summary>
    internal bool TailRan => _tail;

    // dst row j = src row map[j], j < rows (arena offsets, width floats a row).
    private void GatherRows(int dst, int src, int width, int[] map, int rows)
    {
        for (int j = 0; j < rows; j++) A(src + map[j] * width, width).CopyTo(A(dst + j * width, width));
    }

    // In place: the compacted rows j < rows go to rows map[j] (ascending, so map[j] ≥ j: moved from the
    // last down, no row is overwritten before it has moved), and every row not in the map becomes 0.
    private void ScatterRows(int offset, int width, int[] map, int rows)
    {
        for (int j = rows - 1; j >= 0; j--)
            if (map[j] != j) A(offset + j * width, width).CopyTo(A(offset + map[j] * width, width));
        int next = 0;
        for (int i = 0; i < _b * _t; i++)
        {
            if (next < rows && map[next] == i)
            {
                next++;
                continue;
            }
            A(offset + i * width, width).Clear();
        }
    }
}
