using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Dlm.Numerics.Gemm;

/// <summary>
/// A per-thread, 64-byte aligned scratch area for packed panels. It grows to the largest block a
/// thread packs and is reused by every later call, so a warmed-up GEMM allocates nothing. Its first
/// size is at least <see cref="MinFloats"/>: products called from inside parallel loops (attention's
/// blocks) land on whichever worker takes a unit, so without a floor a worker could first meet a
/// slightly larger edge block in a later step and allocate there.
/// Pinned (on the pinned object heap) so raw pointers into it stay valid; freed with the thread.
/// </summary>
internal sealed unsafe class PackBuffer
{
    [ThreadStatic] private static PackBuffer? t_a;
    [ThreadStatic] private static PackBuffer? t_b;
    [ThreadStatic] private static PackBuffer? t_a2;
    [ThreadStatic] private static PackBuffer? t_b2;

    /// <summary>Floats every buffer holds at least once it is first used (64K: 256 KB, every block of attention's products).</summary>
    internal const int MinFloats = 1 << 16;

    private float[] _array = [];
    private float* _aligned;
    private int _capacity;

    /// <summary>This thread's buffer for a packed row block of A (shared read-only with the workers during a call).</summary>
    public static PackBuffer ForABlock => t_a ??= new PackBuffer();

    /// <summary>This thread's buffer for a packed panel of B (shared read-only with the workers during a call).</summary>
    public static PackBuffer ForB => t_b ??= new PackBuffer();

    /// <summary>This thread's second row-block buffer: the next k block's op(A) is packed here while the first is in use.</summary>
    public static PackBuffer ForABlock2 => t_a2 ??= new PackBuffer();

    /// <summary>This thread's second panel buffer: the next panel of op(B) is packed here while the first is in use.</summary>
    public static PackBuffer ForB2 => t_b2 ??= new PackBuffer();

    /// <summary>A pointer to at least <paramref name="floats"/> aligned floats (contents undefined).</summary>
    public float* Get(int floats)
    {
        if (floats > _capacity)
        {
            int capacity = Math.Max(floats, MinFloats);
            _array = GC.AllocateUninitializedArray<float>(capacity + 16, pinned: true);
            nint p = (nint)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(_array));
            _aligned = (float*)((p + 63) & ~(nint)63);
            _capacity = capacity;
        }
        return _aligned;
    }
}
