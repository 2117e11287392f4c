using System.Buffers.Binary;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Dlm.Documents.Rows;

/// <summary>
/// The hashed validation split of R2: row <c>k</c> of section <c>id</c> is validation iff
/// <c>int.from_bytes(sha256(f"{seed}\0{id}\0{k}")[:8], "big") &lt; int(0.1 * 2**64)</c>. The split
/// depends only on the seed, the section and the row's index in it, so editing one section never
/// moves another section's rows between train and validation.
/// </summary>
public static class ValidationSplit
{
    /// <summary><c>int(0.1 * 2**64)</c> as Python computes it (the float 0.1·2⁶⁴ rounded, then truncated).</summary>
    public const ulong Threshold = 1844674407370955264UL;

    /// <summary>The 64-bit big-endian prefix of <c>sha256(f"{seed}\0{sectionId}\0{k}")</c>.</summary>
    public static ulong Key(long seed, string sectionId, int k)
    {
        ArgumentNullException.ThrowIfNull(sectionId);
        var text = string.Create(CultureInfo.InvariantCulture, $"{seed}\0{sectionId}\0{k}");
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(Encoding.UTF8.GetBytes(text), hash);
        return BinaryPrimitives.ReadUInt64BigEndian(hash);
    }

    /// <summary>True when row <paramref name="k"/> of <paramref name="sectionId"/> belongs to the validation set.</summary>
    public static bool IsValidation(long seed, string sectionId, int k) => Key(seed, sectionId, k) < Threshold;
}
