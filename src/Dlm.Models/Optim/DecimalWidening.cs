using System.Globalization;

namespace Dlm.Models.Optim;

/// <summary>
/// Widens a float to the double its shortest decimal spelling denotes (0.9f -> 0.9, not
/// 0.89999997615814209). PyTorch computes the bias corrections <c>1 - beta^t</c> from the Python
/// double the user typed; widening this way reproduces those doubles for typed constants.
/// Allocation-free (formats into a stack buffer).
/// </summary>
internal static class DecimalWidening
{
    public static double Widen(float value)
    {
        if (!float.IsFinite(value)) return value;
        Span<char> buffer = stackalloc char[32];
        if (value.TryFormat(buffer, out var written, "R", CultureInfo.InvariantCulture)
            && double.TryParse(buffer[..written], NumberStyles.Float, CultureInfo.InvariantCulture, out var widened))
            return widened;
        return value;
    }
}
