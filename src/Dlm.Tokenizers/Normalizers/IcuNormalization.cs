using System.Runtime.InteropServices;
using System.Text;
using Dlm.Core;

namespace Dlm.Tokenizers.Normalizers;

/// <summary>
/// Unicode normalization through the system ICU library. dlm runs with invariant globalization,
/// under which <see cref="string.Normalize()"/> does nothing, so we call ICU's <c>unorm2</c> API
/// ourselves, probing the versioned library and symbol names as the .NET runtime does.
/// </summary>
internal static unsafe class IcuNormalization
{
    private static readonly Lazy<Api?> ApiLazy = new(Load);

    private sealed class Api
    {
        public delegate* unmanaged<int*, nint> GetNfc, GetNfkc, GetNfd, GetNfkd;
        public delegate* unmanaged<nint, char*, int, char*, int, int*, int> Normalize;
        public delegate* unmanaged<nint, char*, int, int*, int> SpanQuickCheckYes;
    }

    private static Api? Load()
    {
        string[] names = OperatingSystem.IsWindows() ? ["icu.dll", "icuuc.dll"]
            : OperatingSystem.IsMacOS() ? ["libicucore.dylib"]
            : ["libicuuc.so"];
        var candidates = new List<string>(names);
        if (!OperatingSystem.IsWindows() && !OperatingSystem.IsMacOS())
            for (int v = 90; v >= 50; v--) candidates.Add($"libicuuc.so.{v}");
        foreach (var lib in candidates)
        {
            if (!NativeLibrary.TryLoad(lib, out var h)) continue;
            foreach (var suffix in Suffixes(lib, h))
            {
                if (!NativeLibrary.TryGetExport(h, "unorm2_getNFCInstance" + suffix, out var nfc)) continue;
                var api = new Api
                {
                    GetNfc = (delegate* unmanaged<int*, nint>)nfc,
                    GetNfkc = (delegate* unmanaged<int*, nint>)NativeLibrary.GetExport(h, "unorm2_getNFKCInstance" + suffix),
                    GetNfd = (delegate* unmanaged<int*, nint>)NativeLibrary.GetExport(h, "unorm2_getNFDInstance" + suffix),
                    GetNfkd = (delegate* unmanaged<int*, nint>)NativeLibrary.GetExport(h, "unorm2_getNFKDInstance" + suffix),
                    Normalize = (delegate* unmanaged<nint, char*, int, char*, int, int*, int>)NativeLibrary.GetExport(h, "unorm2_normalize" + suffix),
                    SpanQuickCheckYes = (delegate* unmanaged<nint, char*, int, int*, int>)NativeLibrary.GetExport(h, "unorm2_spanQuickCheckYes" + suffix),
                };
                return api;
            }
        }
        return null;
    }

    private static IEnumerable<string> Suffixes(string lib, nint handle)
    {
        yield return "";
        int dot = lib.LastIndexOf(".so.", StringComparison.Ordinal);
        if (dot >= 0) yield return "_" + lib[(dot + 4)..];
        for (int v = 90; v >= 50; v--)
            if (NativeLibrary.TryGetExport(handle, $"unorm2_getNFCInstance_{v}", out _)) yield return $"_{v}";
    }

    /// <summary>An ICU normalizer instance for a form; fails at load time when ICU is missing.</summary>
    public static nint Instance(NormalizationForm form)
    {
        var api = ApiLazy.Value ?? throw new DlmException(
            $"tokenizer.json: the {form} normalizer needs the ICU library (libicuuc), which was not found; install libicu");
        int err = 0;
        nint inst = form switch
        {
            NormalizationForm.FormC => api.GetNfc(&err),
            NormalizationForm.FormKC => api.GetNfkc(&err),
            NormalizationForm.FormD => api.GetNfd(&err),
            _ => api.GetNfkd(&err),
        };
        if (err > 0 || inst == 0) throw new DlmException($"ICU could not create the {form} normalizer (error {err})");
        return inst;
    }

    /// <summary>Length of the prefix of <paramref name="s"/> that is already normalized.</summary>
    public static int QuickSpan(nint inst, ReadOnlySpan<char> s)
    {
        int err = 0;
        fixed (char* p = s)
        {
            int n = ApiLazy.Value!.SpanQuickCheckYes(inst, p, s.Length, &err);
            return err > 0 ? 0 : n;
        }
    }

    /// <summary>Normalizes <paramref name="s"/> into <paramref name="dest"/>; returns the needed length when it does not fit.</summary>
    public static int Normalize(nint inst, ReadOnlySpan<char> s, Span<char> dest, out bool fits)
    {
        int err = 0;
        fixed (char* p = s)
        fixed (char* d = dest)
        {
            int n = ApiLazy.Value!.Normalize(inst, p, s.Length, d, dest.Length, &err);
            const int BufferOverflow = 15;
            fits = err <= 0;
            if (err > 0 && err != BufferOverflow) throw new DlmException($"ICU normalization failed (error {err})");
            return n;
        }
    }
}
