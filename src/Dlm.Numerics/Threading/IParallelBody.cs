namespace Dlm.Numerics.Threading;

/// <summary>
/// One parallel loop body for <see cref="WorkerPool.For{TBody}(int, TBody)"/>. Implement it on a
/// struct so the call is allocation-free: the struct carries the loop's state (spans cannot be
/// captured, so use pointers or arrays) and <see cref="Invoke"/> runs one index.
/// </summary>
public interface IParallelBody
{
    /// <summary>Runs iteration <paramref name="index"/> (0 ≤ index &lt; count). Called concurrently from several threads.</summary>
    void Invoke(int index);
}
