using Dlm.Tokenizers;

namespace Dlm.Tokenizers.Tests;

public class ByteLevelAlphabetTests
{
    [Fact]
    public void Known_mappings_of_gpt2()
    {
        Assert.Equal('Ġ', ByteLevelAlphabet.ByteToChar((byte)' '));
        Assert.Equal('Ċ', ByteLevelAlphabet.ByteToChar((byte)'\n'));
        Assert.Equal('A', ByteLevelAlphabet.ByteToChar((byte)'A'));
        Assert.Equal('Ā', ByteLevelAlphabet.ByteToChar(0));
        Assert.Equal('ł', ByteLevelAlphabet.ByteToChar(0xA0));
        Assert.Equal('Ń', ByteLevelAlphabet.ByteToChar(0xAD));
    }

    [Fact]
    public void Round_trips_all_bytes_and_is_a_bijection()
    {
        var seen = new HashSet<char>();
        for (int b = 0; b < 256; b++)
        {
            var c = ByteLevelAlphabet.ByteToChar((byte)b);
            Assert.True(seen.Add(c));
            Assert.True(ByteLevelAlphabet.TryCharToByte(c, out var back));
            Assert.Equal(b, back);
        }
        Assert.False(ByteLevelAlphabet.TryCharToByte('€', out _));
    }
}
