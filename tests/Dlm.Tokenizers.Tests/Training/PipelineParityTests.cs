using System.Text.Json;
using Dlm.TestSupport;

namespace Dlm.Tokenizers.Tests.Training;

/// <summary>
/// The tokenizer.json our trainer wrote, loaded through the real pipeline
/// (<see cref="Tokenizer.FromPath"/>): it must encode every fixture line exactly as the Rust
/// Hugging Face tokenizers does, and decode back to the text.
/// </summary>
public class PipelineParityTests
{
    [Fact]
    public void Trained_tokenizer_through_the_pipeline_gives_the_rust_ids()
    {
        var tokenizer = Tokenizer.FromPath(RepoPaths.Fixture("bpe"));
        int n = 0;
        foreach (var (text, ids) in RustParityTests.Expected())
        {
            var ours = tokenizer.Encode(text);
            Assert.True(ids.SequenceEqual(ours),
                $"line {n}: {JsonSerializer.Serialize(text)}\n rust: [{string.Join(',', ids)}]\n ours: [{string.Join(',', ours)}]");
            Assert.Equal(text, tokenizer.Decode(ours));
            n++;
        }
        Assert.True(n > 600);
        Assert.Equal(2, tokenizer.TokenToId("<|eot|>"));
    }
}
