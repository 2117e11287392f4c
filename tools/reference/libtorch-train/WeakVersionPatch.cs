using System.Buffers.Binary;
using System.Text;

namespace LibTorchTrain;

/// <summary>
/// Lets TorchSharp 0.107's native glue (libLibTorchSharp.so, built with GCC 13) load on Debian 12,
/// whose libstdc++ (GCC 12) stops at GLIBCXX_3.4.30. The glue needs GLIBCXX_3.4.32 for one symbol
/// only, <c>std::ios_base_library_init()</c>, which GCC 13's &lt;iostream&gt; references from an
/// assembler <c>.globl</c> line purely to pin the library version: it has no relocation, so it is
/// never bound or called (the streams are set up by libstdc++ and libtorch as before). Marking that
/// one version requirement weak (VER_FLG_WEAK in its .gnu.version_r entry) turns the loader's fatal
/// "version not found" into nothing; every other requirement stays as it is. The file patched is the
/// copy in this program's build output, never the NuGet cache, and only when the requirement is there
/// and not yet weak.
/// </summary>
internal static class WeakVersionPatch
{
    private const uint ShtGnuVerneed = 0x6ffffffe;
    private const ushort VerFlgWeak = 0x2;

    /// <summary>Makes <paramref name="version"/> a weak requirement of the ELF file at <paramref name="path"/>; true when it changed the file.</summary>
    public static bool MakeWeak(string path, string version)
    {
        var elf = File.ReadAllBytes(path);
        var s = elf.AsSpan();
        if (s.Length < 64 || s[0] != 0x7f || s[1] != (byte)'E' || s[4] != 2 || s[5] != 1) return false; // 64-bit little-endian ELF only
        long shoff = BinaryPrimitives.ReadInt64LittleEndian(s[0x28..]);
        int shentsize = BinaryPrimitives.ReadUInt16LittleEndian(s[0x3a..]), shnum = BinaryPrimitives.ReadUInt16LittleEndian(s[0x3c..]);
        for (int i = 0; i < shnum; i++)
        {
            var sh = s[(int)(shoff + (long)i * shentsize)..];
            if (BinaryPrimitives.ReadUInt32LittleEndian(sh[4..]) != ShtGnuVerneed) continue;
            long off = BinaryPrimitives.ReadInt64LittleEndian(sh[0x18..]);
            int link = (int)BinaryPrimitives.ReadUInt32LittleEndian(sh[0x28..]);
            long strOff = BinaryPrimitives.ReadInt64LittleEndian(s[(int)(shoff + (long)link * shentsize + 0x18)..]);
            string Str(uint at)
            {
                int start = (int)(strOff + at), end = start;
                while (elf[end] != 0) end++;
                return Encoding.ASCII.GetString(elf, start, end - start);
            }
            // Verneed: vn_version u16, vn_cnt u16, vn_file u32, vn_aux u32, vn_next u32;
            // Vernaux: vna_hash u32, vna_flags u16, vna_other u16, vna_name u32, vna_next u32.
            for (long vn = off; ; )
            {
                int cnt = BinaryPrimitives.ReadUInt16LittleEndian(s[(int)(vn + 2)..]);
                long aux = vn + BinaryPrimitives.ReadUInt32LittleEndian(s[(int)(vn + 8)..]);
                for (int a = 0; a < cnt; a++)
                {
                    if (Str(BinaryPrimitives.ReadUInt32LittleEndian(s[(int)(aux + 8)..])) == version)
                    {
                        var flags = s[(int)(aux + 4)..];
                        ushort f = BinaryPrimitives.ReadUInt16LittleEndian(flags);
                        if ((f & VerFlgWeak) != 0) return false;
                        BinaryPrimitives.WriteUInt16LittleEndian(flags, (ushort)(f | VerFlgWeak));
                        File.WriteAllBytes(path, elf);
                        return true;
                    }
                    uint next = BinaryPrimitives.ReadUInt32LittleEndian(s[(int)(aux + 12)..]);
                    if (next == 0) break;
                    aux += next;
                }
                uint vnNext = BinaryPrimitives.ReadUInt32LittleEndian(s[(int)(vn + 12)..]);
                if (vnNext == 0) break;
                vn += vnNext;
            }
        }
        return false;
    }
}
