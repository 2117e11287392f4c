namespace Dlm.Training.Client;

/// <summary>One micro-batch: which datums (indices into the call's list), padded to <paramref name="SeqLen"/>.</summary>
/// <param name="Indices">Datum indices, longest first.</param>
/// <param name="SeqLen">Length of the longest datum; the rest are padded to it.</param>
public sealed record MicroBatch(int[] Indices, int SeqLen)
{
    /// <summary>Positions computed, padding included.</summary>
    public int PaddedTokens => Indices.Length * SeqLen;
}

/// <summary>
/// Packs datums of mixed lengths into micro-batches of at most a token budget (rows × longest
/// row). The datums are sorted by length, longest first (ties in input order), and the sorted run
/// is cut into consecutive groups that minimise the padded positions plus a fixed cost per
/// micro-batch (<see cref="MicroBatchCost"/> positions, for the work a forward pass does whatever
/// its size), by dynamic programming. A packing is a pure function of the lengths and the budget.
/// </summary>
public static class MicroBatchPacker
{
    /// <summary>What one more micro-batch is charged, in padded positions: it keeps groups from splitting to save a few pads.</summary>
    public const int MicroBatchCost = 128;

    /// <summary>Packs <paramref name="lengths"/> into micro-batches of at most <paramref name="tokenBudget"/> padded tokens.</summary>
    public static IReadOnlyList<MicroBatch> Pack(IReadOnlyList<int> lengths, int tokenBudget)
    {
        ArgumentNullException.ThrowIfNull(lengths);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(tokenBudget);
        var order = Enumerable.Range(0, lengths.Count).OrderByDescending(i => lengths[i]).ThenBy(i => i).ToArray();
        int n = order.Length;
        foreach (var i in order)
            if (lengths[i] > tokenBudget) throw new ArgumentException($"a datum of {lengths[i]} tokens exceeds the micro-batch budget of {tokenBudget}", nameof(lengths));
        // best[j]: least cost of packing the first j sorted datums; cut[j]: where its last group starts.
        var best = new long[n + 1];
        var cut = new int[n + 1];
        for (int j = 1; j <= n; j++)
        {
            best[j] = long.MaxValue;
            for (int i = j - 1; i >= 0; i--)
            {
                long padded = (long)(j - i) * lengths[order[i]];
                if (padded > tokenBudget) break;
                long cost = best[i] + padded + MicroBatchCost;
                if (cost < best[j]) { best[j] = cost; cut[j] = i; }
            }
        }
        var result = new List<MicroBatch>();
        for (int j = n; j > 0; j = cut[j]) result.Add(new MicroBatch(order[cut[j]..j], lengths[order[cut[j]]]));
        result.Reverse();
        return result;
    }
}
