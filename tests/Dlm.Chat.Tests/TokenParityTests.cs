using Dlm.TestSupport;
using Dlm.Tokenizers;

namespace Dlm.Chat.Tests;

/// <summary>
/// Our renderers with the real tokenizer.json pipeline against the Hugging Face chat templates
/// tokenized by the Rust tokenizers: the ids must be identical (tinker-cookbook's own test).
/// </summary>
public class TokenParityTests
{
    [Theory]
    [MemberData(nameof(ParityCase.Names), MemberType = typeof(ParityCase))]
    public void Token_ids_match_the_HF_template_tokenized_by_the_Rust_tokenizers(string name)
    {
        var c = ParityCase.Load().Single(x => x.Name == name);
        var tokenizer = RealTokenizers.Get(c.Model);
        Assert.Equal(c.Ids, c.Render(tokenizer));
    }
}
