using Dlm.Tokenizers.PreTokenizers;

namespace Dlm.Tokenizers.Training;

/// <summary>
/// GPT-2 pre-tokenization for training: the pieces of
/// <c>'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+</c>
/// as the Oniguruma engine of Hugging Face tokenizers finds them (classes per code point,
/// <c>\s</c> is Unicode White_Space), through the pipeline's own <see cref="Gpt2Scanner"/>.
/// Every position starts a match, so the pieces tile the text. About ten times faster than
/// <see cref="System.Text.RegularExpressions.Regex"/>; <see cref="RegexPreTokenizer"/> on the same
/// pattern is its reference on BMP text.
/// </summary>
internal sealed class Gpt2PreTokenizer : PreTokenizer
{
    /// <summary>The GPT-2 pattern, as written into tokenizer.json.</summary>
    public const string Pattern = Gpt2Scanner.Regex;

    public override string RegexPattern => Pattern;

    public override void Split(ReadOnlySpan<char> text, PieceSink sink)
    {
        int i = 0;
        while (i < text.Length)
        {
            int end = MatchAt(text, i);
            sink(text[i..end]);
            i = end;
        }
    }

    /// <summary>The end of the regex match that starts at <paramref name="i"/> (never empty).</summary>
    /// <remarks>The same matcher the tokenizer pipeline encodes with, so training and encoding split text identically.</remarks>
    internal static int MatchAt(ReadOnlySpan<char> s, int i) => Gpt2Scanner.MatchAt(s, i);
}
