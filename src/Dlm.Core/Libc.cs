using System.Runtime.InteropServices;

namespace Dlm.Core;

/// <summary>
/// Functions of the C library looked up at run time (glibc's <c>libc.so.6</c>, or <c>libc.so</c>), for
/// the few Linux calls .NET does not expose: callers cast the address to their unmanaged function pointer.
/// </summary>
public static class Libc
{
    /// <summary>The address of libc's <paramref name="export"/>, or zero off Linux or where it is missing.</summary>
    public static nint Find(string export)
    {
        if (!OperatingSystem.IsLinux()) return 0;
        foreach (var name in (ReadOnlySpan<string>)["libc.so.6", "libc.so"])
            if (NativeLibrary.TryLoad(name, out var h) && NativeLibrary.TryGetExport(h, export, out var f))
                return f;
        return 0;
    }
}
