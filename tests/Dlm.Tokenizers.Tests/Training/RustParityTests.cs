using System.Text.Json;
using Dlm.TestSupport;

namespace Dlm.Tokenizers.Tests.Training;

/// <summary>
/// The committed tokenizer.json, trained by `dlm tokenizer train`, encoded by the Rust Hugging
/// Face tokenizers (tests/fixtures/bpe/expected.jsonl, from tools/reference/bpe_train_check.mjs):
/// the reference encoder must give the same ids on every line, and decode them back.
/// </summary>
public class RustParityTests
{
    private static readonly ReferenceBpeEncoder Encoder = new(RepoPaths.Fixture("bpe", "tokenizer.json"));

    public static IEnumerable<(string Text, int[] Ids)> Expected() =>
        File.ReadLines(RepoPaths.Fixture("bpe", "expected.jsonl")).Select(line =>
        {
            using var doc = JsonDocument.Parse(line);
            return (doc.RootElement.GetProperty("text").GetString()!,
                doc.RootElement.GetProperty("ids").EnumerateArray().Select(e => e.GetInt32()).ToArray());
        });

    [Fact]
    public void Reference_encoder_gives_the_rust_ids_on_every_line()
    {
        int n = 0;
        foreach (var (text, ids) in Expected())
        {
            var ours = Encoder.Encode(text);
            Assert.True(ids.SequenceEqual(ours),
                $"line {n}: {JsonSerializer.Serialize(text)}\n rust: [{string.Join(',', ids)}]\n ours: [{string.Join(',', ours)}]");
            n++;
        }
        Assert.True(n > 600);
    }

    [Fact]
    public void Decoding_the_rust_ids_gives_the_text_back()
    {
        foreach (var (text, ids) in Expected()) Assert.Equal(text, Encoder.Decode(ids));
    }

    [Fact]
    public void Special_tokens_in_a_line_become_their_ids()
    {
        var (_, ids) = Expected().Single(e => e.Text == "<|eot|><|eot|><|eot|>");
        Assert.Equal([2, 2, 2], ids);
    }
}
