using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Dlm.Core;

namespace Dlm.Data.Caches;

/// <summary>
/// The NumPy <c>.npy</c> format, version 1.0, for one-dimensional little-endian int64 arrays (what
/// <c>np.save(path, np.asarray(offsets, dtype=np.int64))</c> writes): the magic <c>\x93NUMPY</c>,
/// version 1.0, a uint16 header length, then the header dict padded with spaces to a multiple of
/// 64 bytes and ended by a newline, then the raw data.
/// </summary>
public static partial class Npy
{
    private static readonly byte[] Magic = [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y'];

    /// <summary>The bytes of an <c>.npy</c> file holding <paramref name="values"/> as <c>&lt;i8</c>.</summary>
    public static byte[] EncodeInt64(ReadOnlySpan<long> values)
    {
        var dict = string.Create(CultureInfo.InvariantCulture, $"{{'descr': '<i8', 'fortran_order': False, 'shape': ({values.Length},), }}");
        int preamble = Magic.Length + 2 + 2;
        int total = preamble + dict.Length + 1;
        int padded = (total + 63) / 64 * 64;
        var header = dict + new string(' ', padded - total) + "\n";
        var bytes = new byte[preamble + header.Length + values.Length * 8];
        Magic.CopyTo(bytes, 0);
        bytes[6] = 1;
        bytes[7] = 0;
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(8), (ushort)header.Length);
        Encoding.ASCII.GetBytes(header, bytes.AsSpan(preamble));
        var data = bytes.AsSpan(preamble + header.Length);
        for (int i = 0; i < values.Length; i++) BinaryPrimitives.WriteInt64LittleEndian(data[(i * 8)..], values[i]);
        return bytes;
    }

    /// <summary>Reads a one-dimensional <c>&lt;i8</c> array (format 1.0, 2.0 or 3.0).</summary>
    /// <exception cref="DlmException">The file is not such an array.</exception>
    public static long[] ReadInt64(string path)
    {
        var bytes = File.ReadAllBytes(path);
        if (bytes.Length < 10 || !bytes.AsSpan(0, 6).SequenceEqual(Magic))
            throw new DlmException($"{path}: not a NumPy .npy file");
        int major = bytes[6];
        int headerLen, start;
        if (major == 1) { headerLen = BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(8)); start = 10; }
        else if (major is 2 or 3) { headerLen = (int)BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(8)); start = 12; }
        else throw new DlmException($"{path}: unsupported .npy version {major}");
        if (start + headerLen > bytes.Length) throw new DlmException($"{path}: truncated .npy header");
        var header = Encoding.Latin1.GetString(bytes, start, headerLen);
        var m = HeaderPattern().Match(header);
        if (!m.Success) throw new DlmException($"{path}: expected a one-dimensional '<i8' array, header {header.Trim()}");
        long n = long.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
        int dataAt = start + headerLen;
        if (bytes.Length - dataAt != n * 8) throw new DlmException($"{path}: {n} values declared, {(bytes.Length - dataAt) / 8.0} present");
        var values = new long[n];
        for (long i = 0; i < n; i++) values[i] = BinaryPrimitives.ReadInt64LittleEndian(bytes.AsSpan(dataAt + (int)(i * 8)));
        return values;
    }

    [GeneratedRegex(@"^\{'descr': '<i8', 'fortran_order': False, 'shape': \((\d+),?\), \}\s*$")]
    private static partial Regex HeaderPattern();
}
