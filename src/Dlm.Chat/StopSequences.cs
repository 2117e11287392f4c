namespace Dlm.Chat;

/// <summary>
/// What ends a sampled turn: either token ids (a single end-of-turn token for most chat
/// templates) or strings (<c>"\n\nUser:"</c> for <c>role_colon</c>). Exactly one of the two is set.
/// </summary>
public sealed class StopSequences
{
    private StopSequences(IReadOnlyList<int>? tokens, IReadOnlyList<string>? strings)
    {
        Tokens = tokens;
        Strings = strings;
    }

    /// <summary>Stop on any of these token ids.</summary>
    public static StopSequences OfTokens(params int[] tokens) => new(tokens, null);

    /// <summary>Stop when the decoded text contains any of these strings.</summary>
    public static StopSequences OfStrings(params string[] strings) => new(null, strings);

    /// <summary>The stop token ids, or null when the stops are strings.</summary>
    public IReadOnlyList<int>? Tokens { get; }

    /// <summary>The stop strings, or null when the stops are token ids.</summary>
    public IReadOnlyList<string>? Strings { get; }
}
