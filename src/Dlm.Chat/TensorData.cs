namespace Dlm.Chat;

// CA1720: the members are named after the dtypes they stand for, as tinker names them.
#pragma warning disable CA1720
/// <summary>Element type of a <see cref="TensorData"/>, named as tinker names it.</summary>
public enum TensorDType
{
    /// <summary><c>int64</c></summary>
    Int64,

    /// <summary><c>float32</c></summary>
    Float32,
}
#pragma warning restore CA1720

/// <summary>
/// A flat array with a dtype and an optional shape (tinker <c>TensorData</c>), used for the loss
/// function inputs of a <see cref="Datum"/>.
/// </summary>
public sealed class TensorData
{
    private readonly long[]? _int64;
    private readonly float[]? _float32;

    private TensorData(long[]? int64, float[]? float32, int[]? shape)
    {
        _int64 = int64;
        _float32 = float32;
        int count = int64?.Length ?? float32!.Length;
        if (shape is not null)
        {
            long product = 1;
            foreach (var d in shape) product *= d;
            if (product != count)
                throw new ArgumentException($"shape [{string.Join(", ", shape)}] holds {product} elements, data has {count}", nameof(shape));
        }
        Shape = shape;
    }

    /// <summary>An <c>int64</c> tensor.</summary>
    public static TensorData FromInt64(ReadOnlySpan<long> data, int[]? shape = null) => new(data.ToArray(), null, shape);

    /// <summary>An <c>int64</c> tensor from 32-bit token ids.</summary>
    public static TensorData FromInt64(ReadOnlySpan<int> data, int[]? shape = null)
    {
        var wide = new long[data.Length];
        for (int i = 0; i < data.Length; i++) wide[i] = data[i];
        return new TensorData(wide, null, shape);
    }

    /// <summary>A <c>float32</c> tensor.</summary>
    public static TensorData FromFloat32(ReadOnlySpan<float> data, int[]? shape = null) => new(null, data.ToArray(), shape);

    /// <summary>The element type.</summary>
    public TensorDType DType => _int64 is not null ? TensorDType.Int64 : TensorDType.Float32;

    /// <summary>The tinker name of the element type: <c>int64</c> or <c>float32</c>.</summary>
    public string DTypeName => DType == TensorDType.Int64 ? "int64" : "float32";

    /// <summary>The shape, or null for a flat vector.</summary>
    public IReadOnlyList<int>? Shape { get; }

    /// <summary>Number of elements.</summary>
    public int Count => _int64?.Length ?? _float32!.Length;

    /// <summary>The data of an <c>int64</c> tensor.</summary>
    public ReadOnlySpan<long> AsInt64() =>
        _int64 ?? throw new InvalidOperationException("tensor is float32, not int64");

    /// <summary>The data of a <c>float32</c> tensor.</summary>
    public ReadOnlySpan<float> AsFloat32() =>
        _float32 ?? throw new InvalidOperationException("tensor is int64, not float32");
}
