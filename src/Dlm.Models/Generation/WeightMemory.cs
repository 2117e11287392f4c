using System.Runtime.InteropServices;

namespace Dlm.Models.Generation;

/// <summary>
/// Native memory for an inference model's matrices, 2 MiB aligned and, on Linux, advised for
/// transparent huge pages (<c>madvise(MADV_HUGEPAGE)</c>) before the first write. A decode step
/// streams every matrix once (270 MB for SmolLM2-135M in float16): with 4 KiB pages that is a TLB
/// miss, and a page walk, every 4 KiB of the stream; with 2 MiB pages, one per 2 MiB. The advice is a
/// hint: where the kernel has no THP (or it is set to <c>never</c>), or off Linux, the memory is
/// the same memory on small pages. Freed when the owning model is collected.
/// </summary>
internal sealed unsafe class WeightMemory : SafeHandle
{
    private const nuint HugePage = 2 << 20;
    private const int MadvHugePage = 14;

    private readonly long _pressure;

    /// <summary>Allocates <paramref name="bytes"/> bytes (contents undefined), rounded up to whole huge pages.</summary>
    public WeightMemory(long bytes) : base(IntPtr.Zero, ownsHandle: true)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(bytes);
        nuint size = ((nuint)Math.Max(bytes, 1) + HugePage - 1) / HugePage * HugePage;
        void* p = NativeMemory.AlignedAlloc(size, HugePage);
        SetHandle((IntPtr)p);
        Bytes = (long)size;
        HugePagesAdvised = OperatingSystem.IsLinux() && Advise(p, size);
        _pressure = Bytes;
        GC.AddMemoryPressure(_pressure);
    }

    /// <summary>Start of the memory (2 MiB aligned).</summary>
    public void* Pointer => (void*)handle;

    /// <summary>Bytes allocated (whole huge pages).</summary>
    public long Bytes { get; }

    /// <summary>Whether the kernel accepted the huge-page advice (it may still back some pages with small ones).</summary>
    public bool HugePagesAdvised { get; }

    /// <inheritdoc />
    public override bool IsInvalid => handle == IntPtr.Zero;

    /// <inheritdoc />
    protected override bool ReleaseHandle()
    {
        NativeMemory.AlignedFree((void*)handle);
        GC.RemoveMemoryPressure(_pressure);
        return true;
    }

    // madvise from libc; null off Linux or without it.
    private static readonly delegate* unmanaged<void*, nuint, int, int> MadviseCall =
        (delegate* unmanaged<void*, nuint, int, int>)Dlm.Core.Libc.Find("madvise");

    // False where madvise is missing or refuses (EINVAL on a kernel without THP).
    private static bool Advise(void* p, nuint size) => MadviseCall != null && MadviseCall(p, size, MadvHugePage) == 0;
}
