using System.Text.Json.Nodes;
using Dlm.Models.Generation;

namespace Dlm.Serve.Tests;

/// <summary>The last layer's attention the page shows: prefill (block GEMM) and decode (row kernels) agree, and the route returns it.</summary>
[Collection(ServeGroup.Name)]
public sealed class AttentionTests(ServeFixture f)
{
    [Theory]
    [InlineData(1, 256)]
    [InlineData(5, 256)]
    [InlineData(40, 256)]
    [InlineData(40, 16)] // three prefill chunks: the last one holds the query
    public void Prefill_attention_equals_the_decode_steps_attention(int length, int chunk)
    {
        var model = f.Served.Model;
        var rng = new Random(length);
        var tokens = Enumerable.Range(0, length).Select(_ => rng.Next(model.Config.VocabSize)).ToArray();
        int heads = model.Config.Heads;
        var block = new float[heads * length];
        new InferenceSession(model, 1, ServeFixture.Context, prefillChunk: chunk).PrefillAttention(0, tokens, block);

        var s = new InferenceSession(model, 2, ServeFixture.Context);
        var logits = new float[model.Config.VocabSize];
        if (length > 1) s.Prefill(1, tokens.AsSpan(0, length - 1), logits);
        var row = new float[heads * length];
        s.StepAttention(1, tokens[^1], logits, row);
        for (int h = 0; h < heads; h++)
        {
            var b = block.AsSpan(h * length, length);
            Assert.Equal(1.0, b.ToArray().Sum(x => (double)x), 4);
            for (int j = 0; j < length; j++)
            {
                Assert.True(b[j] >= 0);
                Assert.Equal(row[h * length + j], b[j], 5);
            }
        }
    }

    [Fact]
    public async Task The_attention_route_returns_every_head_over_the_context()
    {
        var (status, json) = await f.PostAsync("/v1/attention", """{"tokens": [5, 60, 61, 200, 7]}""");
        Assert.Equal(200, status);
        Assert.Equal(1, json!["layer"]!.GetValue<int>());
        Assert.Equal(4, json["position"]!.GetValue<int>());
        var heads = json["heads"]!.AsArray();
        Assert.Equal(f.Served.Model.Config.Heads, heads.Count);
        Assert.All(heads, h => Assert.Equal(1.0, h!.AsArray().Sum(x => x!.GetValue<double>()), 4));
        Assert.Equal(5, json["mean"]!.AsArray().Count);
        Assert.Equal(f.Tokenizer.Decode([60]), json["tokens"]![1]!["text"]!.GetValue<string>());
        (status, json) = await f.PostAsync("/v1/attention", """{"tokens": []}""");
        Assert.Equal(400, status);
        Assert.Equal("tokens", json!["error"]!["param"]!.GetValue<string>());
    }
}
