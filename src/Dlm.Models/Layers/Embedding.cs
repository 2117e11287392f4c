namespace Dlm.Models.Layers;

/// <summary>Token embedding lookup, plus learned positions when a table is given (GPT-2).</summary>
internal static class Embedding
{
    /// <summary>output[b,t,:] = wte[tokens[b,t],:] (+ wpe[t,:]).</summary>
    public static void Forward(Span<float> output, ReadOnlySpan<int> tokens, ReadOnlySpan<float> wte, ReadOnlySpan<float> wpe, int b, int t, int c)
    {
        for (int i = 0; i < b * t; i++)
        {
            var row = output.Slice(i * c, c);
            wte.Slice(tokens[i] * c, c).CopyTo(row);
            if (!wpe.IsEmpty) System.Numerics.Tensors.TensorPrimitives.Add(row, wpe.Slice(i % t * c, c), row);
        }
    }

    /// <summary>Scatters the output gradient into the rows that were read (accumulating).</summary>
    public static void Backward(Span<float> dwte, Span<float> dwpe, ReadOnlySpan<float> doutput, ReadOnlySpan<int> tokens, int b, int t, int c)
    {
        for (int i = 0; i < b * t; i++)
        {
            var d = doutput.Slice(i * c, c);
            if (!dwte.IsEmpty)
            {
                var row = dwte.Slice(tokens[i] * c, c);
                System.Numerics.Tensors.TensorPrimitives.Add(row, d, row);
            }
            if (!dwpe.IsEmpty)
            {
                var prow = dwpe.Slice(i % t * c, c);
                System.Numerics.Tensors.TensorPrimitives.Add(prow, d, prow);
            }
        }
    }
}
