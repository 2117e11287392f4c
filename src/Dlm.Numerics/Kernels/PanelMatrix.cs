namespace Dlm.Numerics.Kernels;

/// <summary>
/// A matrix of <see cref="Rows"/> × <see cref="Cols"/> weights (float32, bfloat16 or float16) kept in panels of
/// <see cref="PanelMatVec.PanelRows"/> rows, the layout <see cref="PanelMatVec"/> reads: panel p holds
/// rows 16p … 16p + 15 column by column, so element (r, k) lies at
/// <c>16p·Cols + k·width + (r − 16p)</c>, where width is 16 (fewer for a last, partial panel). The
/// matrix takes exactly Rows × Cols values, the space of its row-major form.
/// </summary>
/// <remarks>
/// Why columns inside a panel: a decode product y = W·x then reads each panel as one stream, and
/// every output row is one lane of a vector that runs down the columns, so the batched kernel
/// broadcasts inputs and never sums across lanes (no reduction per output, and the same lane
/// order whether one input or eight are multiplied).
/// </remarks>
/// <param name="data">The panels (floats for <see cref="WeightFormat.F32"/>, 16-bit values otherwise), pinned or native, alive as long as this value is used.</param>
/// <param name="rows">Rows (outputs).</param>
/// <param name="cols">Columns (inputs).</param>
/// <param name="format">The element format.</param>
/// <param name="hasSpecials">Whether some float16 weight is infinity or NaN (then the kernels widen exactly instead of scaling the inputs).</param>
public readonly unsafe struct PanelMatrix(void* data, int rows, int cols, WeightFormat format, bool hasSpecials)
{
    /// <summary>Start of the panels.</summary>
    public void* Data { get; } = data;

    /// <summary>Rows (outputs).</summary>
    public int Rows { get; } = rows;

    /// <summary>Columns (inputs).</summary>
    public int Cols { get; } = cols;

    /// <summary>The element format.</summary>
    public WeightFormat Format { get; } = format;

    /// <summary>Whether some float16 weight has exponent 31 (infinity or NaN).</summary>
    public bool HasSpecials { get; } = hasSpecials;
}
