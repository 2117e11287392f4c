using System.Text.RegularExpressions;

namespace Dlm.Documents.Ids;

/// <summary>
/// Document ids (<c>dlm_id</c>): ULIDs from the Cysharp <c>Ulid</c> package, handed out
/// strictly increasing within this process. Two ids made in the same millisecond differ
/// in their random part by exactly one (the ULID spec's monotonic mode), so ids sort in
/// creation order even when a scaffold and an init run back to back.
/// </summary>
public static partial class DocumentIds
{
    private static readonly Lock Gate = new();
    private static Ulid _last;

    /// <summary>A fresh ULID string (26 characters, Crockford base32, upper case), greater than every earlier one from this process.</summary>
    public static string New() => NewUlid(DateTimeOffset.UtcNow).ToString();

    /// <summary>
    /// The monotonic step at a given clock reading: a random ULID for <paramref name="now"/> when
    /// its millisecond is later than the last id's, else (same millisecond, or the clock stepped
    /// back) the last id plus one.
    /// </summary>
    internal static Ulid NewUlid(DateTimeOffset now)
    {
        lock (Gate)
        {
            var candidate = Ulid.NewUlid(now);
            _last = candidate.Time > _last.Time ? candidate : Increment(_last);
            return _last;
        }
    }

    /// <summary>
    /// Whether <paramref name="id"/> is a canonical ULID as upstream's schema checks it:
    /// exactly 26 characters of Crockford base32 in upper case (no I, L, O, U).
    /// </summary>
    public static bool IsValid(string? id) => id is not null && UlidPattern().IsMatch(id);

    /// <summary>The 128-bit value plus one (the randomness carries into the timestamp on overflow).</summary>
    private static Ulid Increment(Ulid value)
    {
        Span<byte> bytes = stackalloc byte[16];
        value.TryWriteBytes(bytes);
        for (var i = 15; i >= 0; i--)
        {
            if (++bytes[i] != 0) break;
        }
        return new Ulid(bytes);
    }

    [GeneratedRegex("^[0-9A-HJKMNP-TV-Z]{26}$", RegexOptions.CultureInvariant)]
    private static partial Regex UlidPattern();
}
