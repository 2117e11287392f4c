namespace Dlm.Numerics.Threading;

/// <summary>Shorthand for <see cref="WorkerPool.Shared"/>: the process-wide allocation-free parallel-for.</summary>
public static class ParallelRange
{
    /// <summary>Runs <c>body.Invoke(i)</c> for every i in [0, <paramref name="count"/>) on the shared pool.</summary>
    /// <typeparam name="TBody">A struct implementing <see cref="IParallelBody"/>.</typeparam>
    public static void For<TBody>(int count, TBody body) where TBody : struct, IParallelBody =>
        WorkerPool.Shared.For(count, body);
}
