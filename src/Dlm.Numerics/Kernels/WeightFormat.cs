using Dlm.Core;

namespace Dlm.Numerics.Kernels;

/// <summary>How weights are kept in memory for inference: 32-bit floats, or 16 bits widened to float in the kernel.</summary>
public enum WeightFormat
{
    /// <summary>IEEE float32, 4 bytes per weight.</summary>
    F32,
    /// <summary>bfloat16 (the top half of a float32), 2 bytes per weight.</summary>
    Bf16,
    /// <summary>IEEE float16 (<see cref="Half"/>), 2 bytes per weight.</summary>
    F16,
}

/// <summary>Names and sizes of <see cref="WeightFormat"/>.</summary>
public static class WeightFormats
{
    /// <summary>Bytes one weight takes in memory.</summary>
    public static int BytesPerWeight(this WeightFormat format) => format == WeightFormat.F32 ? 4 : 2;

    /// <summary>The lowercase name used on the command line and in JSON (<c>f32</c>, <c>bf16</c>, <c>f16</c>).</summary>
    public static string Name(this WeightFormat format) => format switch
    {
        WeightFormat.Bf16 => "bf16",
        WeightFormat.F16 => "f16",
        _ => "f32",
    };

    /// <summary>Parses <c>f32|bf16|f16</c> (also <c>float32</c>, <c>bfloat16</c>, <c>float16</c>); anything else is a user error.</summary>
    public static WeightFormat Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return text.Trim().ToLowerInvariant() switch
        {
            "f32" or "float32" or "fp32" => WeightFormat.F32,
            "bf16" or "bfloat16" => WeightFormat.Bf16,
            "f16" or "float16" or "fp16" or "half" => WeightFormat.F16,
            _ => throw new UsageException($"--dtype must be f32, bf16 or f16, not '{text}'"),
        };
    }
}
