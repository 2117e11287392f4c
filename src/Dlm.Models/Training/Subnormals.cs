namespace Dlm.Models.Training;

/// <summary>
/// Counts subnormal floats (exponent bits 0, mantissa not 0): arithmetic on them takes a slow path on
/// many CPUs, so a training step whose buffers fill with them can slow down with nothing else changed.
/// </summary>
public static class Subnormals
{
    /// <summary>How many elements of <paramref name="values"/> are subnormal (±0 is not).</summary>
    public static long Count(ReadOnlySpan<float> values)
    {
        long count = 0;
        foreach (float v in values)
        {
            int bits = BitConverter.SingleToInt32Bits(v);
            if ((bits & 0x7F800000) == 0 && (bits & 0x007FFFFF) != 0) count++;
        }
        return count;
    }
}
