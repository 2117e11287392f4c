namespace Dlm.Numerics.Gemm;

/// <summary>
/// Single-precision matrix multiply on row-major matrices:
/// <c>C = alpha * op(A) * op(B) + beta * C</c>, where op(X) is X or its transpose.
/// op(A) is m×k, op(B) is k×n, C is m×n. Leading dimensions are row strides in elements.
/// </summary>
public interface IGemm
{
    /// <summary>Short name shown by <c>dlm doctor</c>, e.g. <c>openblas</c> or <c>managed</c>.</summary>
    string Name { get; }

    /// <summary>Computes <c>C = alpha * op(A) * op(B) + beta * C</c> (row-major).</summary>
    /// <param name="transA">Use Aᵀ: A is stored k×m.</param>
    /// <param name="transB">Use Bᵀ: B is stored n×k.</param>
    /// <param name="m">Rows of op(A) and C.</param>
    /// <param name="n">Columns of op(B) and C.</param>
    /// <param name="k">Columns of op(A), rows of op(B).</param>
    /// <param name="alpha">Scale of the product.</param>
    /// <param name="a">A, stored with row stride <paramref name="lda"/>.</param>
    /// <param name="lda">Row stride of A as stored.</param>
    /// <param name="b">B, stored with row stride <paramref name="ldb"/>.</param>
    /// <param name="ldb">Row stride of B as stored.</param>
    /// <param name="beta">Scale of the previous C; 0 means C is overwritten (NaNs in it are ignored).</param>
    /// <param name="c">C, stored with row stride <paramref name="ldc"/>.</param>
    /// <param name="ldc">Row stride of C.</param>
    void Sgemm(bool transA, bool transB, int m, int n, int k,
        float alpha, ReadOnlySpan<float> a, int lda,
        ReadOnlySpan<float> b, int ldb,
        float beta, Span<float> c, int ldc);
}
