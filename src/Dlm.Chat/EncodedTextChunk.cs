namespace Dlm.Chat;

/// <summary>A run of token ids that came from one piece of text (tinker <c>EncodedTextChunk</c>).</summary>
public sealed class EncodedTextChunk
{
    private readonly int[] _tokens;

    /// <summary>Wraps a copy of <paramref name="tokens"/>.</summary>
    public EncodedTextChunk(ReadOnlySpan<int> tokens) => _tokens = tokens.ToArray();

    /// <summary>The token ids.</summary>
    public ReadOnlySpan<int> Tokens => _tokens;

    /// <summary>Number of tokens.</summary>
    public int Length => _tokens.Length;
}
