namespace Dlm.Numerics.Kernels;

/// <summary>
/// One sequence of a <see cref="GroupAttention.DecodeShared"/> call: where its queries, its own
/// cached keys and values, its probabilities and its outputs lie (offsets in floats into the
/// buffers of the call).
/// </summary>
/// <param name="Query">Offset of the sequence's first query head in q (heads at the call's ldq).</param>
/// <param name="Cache">Offset of the sequence's own cache row 0 in keys and values: position j at or past the shared length lies at <c>Cache + j·headDim</c>.</param>
/// <param name="Length">Positions the sequence attends to, shared ones included (at least 1 and at least the shared length).</param>
/// <param name="Probs">Offset of the first head's probability row in probs (heads at the call's ldp).</param>
/// <param name="Output">Offset of the first head's output row in y (heads at the call's ldy).</param>
public readonly record struct AttentionRow(int Query, int Cache, int Length, int Probs, int Output);
