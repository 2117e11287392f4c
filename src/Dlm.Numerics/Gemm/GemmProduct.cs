namespace Dlm.Numerics.Gemm;

/// <summary>One product a piece of work will issue, in BLAS terms: C[m, n] (+)= op(A)[m, k]·op(B)[k, n].</summary>
/// <param name="Name">What the product is, e.g. <c>mlpup.backward.dw</c>.</param>
/// <param name="TransA">A is stored transposed.</param>
/// <param name="TransB">B is stored transposed.</param>
/// <param name="M">Rows of C.</param>
/// <param name="N">Columns of C.</param>
/// <param name="K">Inner dimension.</param>
/// <param name="Accumulate">Whether the product adds onto C (beta ≠ 0).</param>
public sealed record GemmProduct(string Name, bool TransA, bool TransB, int M, int N, int K, bool Accumulate);
