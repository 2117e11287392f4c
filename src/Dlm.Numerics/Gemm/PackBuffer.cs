using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Dlm.Numerics.Gemm;

/// <summary>
/// A per-thread, 64-byte aligned scratch area for packed panels. It grows once to the largest
/// block a thread packs and is reused by every later call, so a warmed-up GEMM allocates nothing.
/// Pinned (on the pinned object heap) so raw pointers into it stay valid; freed with the thread.
/// </summary>
internal sealed unsafe class PackBuffer
{
    [ThreadStatic] private static PackBuffer? t_a;
    [ThreadStatic] private static PackBuffer? t_b;
    [ThreadStatic] private static PackBuffer? t_a2;
    [ThreadStatic] private static PackBuffer? t_b2;

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
            _array = GC.AllocateUninitializedArray<float>(floats + 16, pinned: true);
            nint p = (nint)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(_array));
            _aligned = (float*)((p + 63) & ~(nint)63);
            _capacity = floats;
        }
        return _aligned;
    }
}
