using System.Text.RegularExpressions;
using Dlm.Tokenizers.PreTokenizers;
using FsCheck;
using FsCheck.Fluent;

namespace Dlm.Tokenizers.Tests;

/// <summary>
/// The hand-written GPT-2 / Llama 3 / Qwen2 scanners against the .NET regex engine running the very
/// same pattern, on random BMP text built from the characters that make the alternatives compete
/// (astral text is covered by the Rust-parity fixtures, where .NET's UTF-16 regex would differ).
/// </summary>
public class ScannerTests
{
    private const string Alphabet = "aZé中ß1٣½ \t\r\n\u00a0\u3000'sStTrReEvVlLmMdD.,!?-_😀\u0301";

    private static List<(int, int)> Scan(Pattern p, string s)
    {
        var m = new List<TextRange>();
        p.FindMatches(s, m);
        return [.. m.Select(x => (x.Start, x.End))];
    }

    private static List<(int, int)> Reference(string pattern, string s) =>
        [.. new Regex(pattern).Matches(s).Select(m => (m.Index, m.Index + m.Length))];

    private static Arbitrary<string> Texts()
    {
        // Only BMP chars: drop the emoji's surrogates from the alphabet for the .NET reference.
        var chars = Alphabet.Where(c => !char.IsSurrogate(c)).ToArray();
        return Gen.ArrayOf(Gen.Elements(chars)).Select(a => new string(a)).ToArbitrary();
    }

    [Theory]
    [InlineData("gpt2")]
    [InlineData("llama3")]
    [InlineData("qwen2")]
    public void Scanner_equals_the_regex_on_random_text(string which)
    {
        var (pattern, scanner) = which switch
        {
            "gpt2" => (Gpt2Scanner.Regex, (Pattern)new Gpt2Scanner()),
            "llama3" => (Llama3Scanner.RegexLlama3, new Llama3Scanner(3)),
            _ => (Llama3Scanner.RegexQwen2, new Llama3Scanner(1)),
        };
        Prop.ForAll(Texts(), s => Scan(scanner, s).SequenceEqual(Reference(pattern, s)))
            .QuickCheckThrowOnFailure();
    }

    [Fact]
    public void Known_patterns_get_scanners_and_others_the_regex_engine()
    {
        Assert.IsType<Llama3Scanner>(Pattern.Create(Llama3Scanner.RegexLlama3, true));
        Assert.Equal(1, Assert.IsType<Llama3Scanner>(Pattern.Create(Llama3Scanner.RegexQwen2, true)).MaxDigits);
        Assert.IsType<Gpt2Scanner>(Pattern.Create(Gpt2Scanner.Regex, true));
        Assert.IsType<RegexPattern>(Pattern.Create(@"\p{N}{1,3}", true));
        Assert.IsType<LiteralPattern>(Pattern.Create(@"\p{N}", false));
    }

    [Fact]
    public void Astral_letters_and_digits_are_one_code_point_each()
    {
        // U+1D400 MATHEMATICAL BOLD CAPITAL A is a letter; U+1D7CF MATHEMATICAL BOLD DIGIT ONE a digit.
        var s = "x\U0001D400\U0001D401 \U0001D7CF\U0001D7D0\U0001D7D1\U0001D7D2";
        Assert.Equal([(0, 5), (5, 6), (6, 12), (12, 14)], Scan(new Llama3Scanner(3), s));
        Assert.Equal([(0, 5), (6, 8), (8, 10), (10, 12), (12, 14)], Scan(new RegexPattern(@"\p{L}+|\p{N}"), s));
    }
}
