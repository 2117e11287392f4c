using Dlm.TestSupport;

namespace Dlm.Chat.Tests;

/// <summary>
/// Our renderers against the real Hugging Face chat templates, at the level of text and special
/// tokens: rendering with a tokenizer that keeps the text must decode to exactly the template's
/// output, and the special tokens must be the template's, with the real ids, in the same order.
/// </summary>
public class TextParityTests
{
    private static readonly Dictionary<string, CharTokenizer> Tokenizers = new();

    private static CharTokenizer TokenizerFor(string model)
    {
        lock (Tokenizers)
        {
            if (!Tokenizers.TryGetValue(model, out var t))
                Tokenizers[model] = t = CharTokenizer.FromModelFolder(ReferenceData.TokenizerFolder(model));
            return t;
        }
    }

    [Fact]
    public void Fixture_covers_every_layout_and_mode_the_issue_names()
    {
        var names = ParityCase.Load().Select(c => c.Name).ToHashSet();
        foreach (var r in new[] { "llama3", "qwen3", "qwen3_disable_thinking", "deepseekv3" })
        {
            Assert.Contains($"{r}/generation/basic_3turn", names);
            Assert.Contains($"{r}/supervised/basic_2turn", names);
        }
        Assert.Contains("qwen3/supervised/thinking_2turn", names);
        Assert.Contains("qwen3/supervised/thinking_4turn", names);
        Assert.Contains("llama3/generation/system_3turn", names);
        Assert.Contains("llama3/supervised/empty_2turn", names);
        Assert.Contains("qwen3/generation/multiline_unicode_3turn", names);
        Assert.Contains("qwen3/generation/tool_3turn", names);
        Assert.Contains("qwen3/supervised/tool_4turn", names);
    }

    [Theory]
    [MemberData(nameof(ParityCase.Names), MemberType = typeof(ParityCase))]
    public void Rendered_text_and_special_tokens_match_the_HF_template(string name)
    {
        var c = ParityCase.Load().Single(x => x.Name == name);
        var tokenizer = TokenizerFor(c.Model);
        var ours = c.Render(tokenizer);

        Assert.Equal(c.Text, tokenizer.Decode(ours));
        var ourSpecials = ours.Where(id => id < CharTokenizer.CharBase).ToArray();
        var theirSpecials = c.Ids.Where(id => IsAdded(tokenizer, id)).ToArray();
        Assert.NotEmpty(theirSpecials);
        Assert.Equal(theirSpecials, ourSpecials);
    }

    // An id of the real vocabulary that is an added token (the others are ordinary BPE pieces).
    private static bool IsAdded(CharTokenizer tokenizer, int id) =>
        id < CharTokenizer.CharBase && tokenizer.IdToToken(id) is not null;
}
