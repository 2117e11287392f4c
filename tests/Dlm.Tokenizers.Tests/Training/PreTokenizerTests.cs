using System.Text;
using System.Text.RegularExpressions;
using Dlm.TestSupport;
using Dlm.Tokenizers.Training;

namespace Dlm.Tokenizers.Tests.Training;

public class PreTokenizerTests
{
    private static List<string> Pieces(PreTokenizer p, string text)
    {
        var list = new List<string>();
        p.Split(text, s => list.Add(s.ToString()));
        return list;
    }

    private static readonly PreTokenizer Gpt2 = PreTokenizer.Create(null);

    /// <summary>.NET's own regex engine on the same pattern: the reference for BMP text.</summary>
    private static readonly PreTokenizer DotNetRegex = new RegexPreTokenizer(BpeTrainerOptions.Gpt2Pattern);

    [Theory]
    [InlineData("Hello world", new[] { "Hello", " world" })]
    [InlineData("I'm here, they'll see", new[] { "I", "'m", " here", ",", " they", "'ll", " see" })]
    [InlineData("a   b", new[] { "a", "  ", " b" })]
    [InlineData("x  \n", new[] { "x", "  \n" })]
    [InlineData("a \nb", new[] { "a", " ", "\n", "b" })]
    [InlineData("12345 67", new[] { "12345", " 67" })]
    [InlineData("''s !'s", new[] { "''", "s", " !'", "s" })]
    [InlineData("'steve", new[] { "'s", "teve" })]
    public void Splits_like_the_gpt2_regex(string text, string[] expected) =>
        Assert.Equal(expected, Pieces(Gpt2, text));

    [Fact]
    public void Astral_letters_are_letters_as_in_oniguruma()
    {
        // Rust (onig) keeps these together; .NET's regex would see two surrogates per character.
        Assert.Equal(["𝐀𝐁c"], Pieces(Gpt2, "𝐀𝐁c"));
        Assert.Equal(["x𠀀y"], Pieces(Gpt2, "x𠀀y"));
        Assert.Equal(["😀😀", "a"], Pieces(Gpt2, "😀😀a"));
    }

    [Fact]
    public void Whitespace_is_unicode_white_space_as_in_oniguruma()
    {
        // Probed from the Rust library: U+001C..U+001F are not \s there, NBSP and U+3000 are.
        Assert.Equal(["a", "\u001c\u001c", "b"], Pieces(Gpt2, "a\u001c\u001cb"));
        Assert.Equal(["a", "\u00a0", "\u00a0", "b"], Pieces(Gpt2, "a\u00a0\u00a0b"));
        Assert.Equal(["a", "\u3000", "\u3000", "b"], Pieces(Gpt2, "a\u3000\u3000b"));
        Assert.Equal(["a", "\u0085", "\u0085", "b"], Pieces(Gpt2, "a\u0085\u0085b"));
        Assert.Equal(["a", "\u200b\u200b", "b"], Pieces(Gpt2, "a\u200b\u200bb"));
    }

    [Fact]
    public void Matches_the_dotnet_regex_on_every_training_line()
    {
        foreach (var line in File.ReadLines(RepoPaths.Fixture("bpe", "train.txt")))
        {
            var withNewline = line + "\n";
            Assert.Equal(Pieces(DotNetRegex, withNewline), Pieces(Gpt2, withNewline));
        }
    }

    [Fact]
    public void Matches_the_dotnet_regex_on_random_bmp_text()
    {
        // Characters from every class the pattern cares about; astral ones are skipped below,
        // as .NET's regex sees their surrogates, not the character.
        const string alphabet = "aZé中ß  \t\n\r\u000b\u001c\u00a0\u3000\u2028'srevtmld0९½Ⅳ.,!?-_'\"$😀\u0301\u200b";
        var rng = new Random(4);
        for (int n = 0; n < 3000; n++)
        {
            var sb = new StringBuilder();
            int len = rng.Next(0, 24);
            for (int i = 0; i < len; i++)
            {
                int k = rng.Next(alphabet.Length);
                if (char.IsHighSurrogate(alphabet[k])) continue;
                if (char.IsLowSurrogate(alphabet[k])) continue;
                sb.Append(alphabet[k]);
            }
            var text = sb.ToString();
            var pieces = Pieces(Gpt2, text);
            Assert.Equal(text, string.Concat(pieces));
            Assert.Equal(Pieces(DotNetRegex, text), pieces);
        }
    }

    [Fact]
    public void Custom_regex_keeps_the_text_between_matches()
    {
        var p = PreTokenizer.Create(@"\d+");
        Assert.Equal(["ab", "12", "cd", "3"], Pieces(p, "ab12cd3"));
        Assert.Equal(@"\d+", p.RegexPattern);
    }

    [Fact]
    public void Special_tokens_split_leftmost_then_longest()
    {
        var splitter = new SpecialTokenSplitter(["<|a|>", "<|a|>b", "<|eot|>"]);
        var parts = new List<string>();
        splitter.Split("x<|a|>b<|a|><|eot|>y<|eo", s => parts.Add("T:" + s.ToString()), s => parts.Add("S:" + s.ToString()));
        Assert.Equal(["T:x", "S:<|a|>b", "S:<|a|>", "S:<|eot|>", "T:y<|eo"], parts);
    }
}
