using Dlm.TestSupport;
using System.Text.Json.Nodes;

namespace Dlm.Serve.Tests;

/// <summary>The routes in OpenAI's shapes, over raw HTTP: completions, streaming chunks, logprobs, n, stop, models, health.</summary>
[Collection(ServeGroup.Name)]
public sealed class CompletionsApiTests(ServeFixture f)
{
    private static List<JsonNode> Events(string sse, out bool done)
    {
        var blocks = sse.Split("\n\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.All(blocks, b => Assert.StartsWith("data: ", b));
        done = blocks[^1] == "data: [DONE]";
        return blocks.Where(b => b != "data: [DONE]").Select(b => JsonNode.Parse(b["data: ".Length..])!).ToList();
    }

    private async Task<string> PostRawAsync(string path, string body)
    {
        using var res = await f.Http.PostAsync(new Uri(f.Base, path), new StringContent(body, System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(200, (int)res.StatusCode);
        Assert.Equal("text/event-stream", res.Content.Headers.ContentType!.MediaType);
        return await res.Content.ReadAsStringAsync();
    }

    [Fact]
    public async Task Completion_text_and_logprobs_equal_dlm_sample_greedy()
    {
        var expected = f.SampleText("The jury said", 12);
        var (status, json) = await f.PostAsync("/v1/completions", """{"prompt": "The jury said", "temperature": 0, "max_tokens": 12, "logprobs": 2}""");
        Assert.Equal(200, status);
        var c = json!["choices"]![0]!;
        Assert.Equal("text_completion", json["object"]!.GetValue<string>());
        Assert.Equal(expected["text"]!.GetValue<string>(), c["text"]!.GetValue<string>());
        Assert.Equal("length", c["finish_reason"]!.GetValue<string>());
        var lps = c["logprobs"]!["token_logprobs"]!.AsArray().Select(x => x!.GetValue<float>()).ToArray();
        var refLps = expected["logprobs"]!.AsArray().Select(x => x!.GetValue<float>()).ToArray();
        Assert.Equal(refLps.Length, lps.Length);
        for (int i = 0; i < lps.Length; i++) Assert.Equal(refLps[i], lps[i], 5);
        Assert.Equal(12, json["usage"]!["completion_tokens"]!.GetValue<int>());
        Assert.Equal(f.Tokenizer.Encode("The jury said", addSpecialTokens: true).Length, json["usage"]!["prompt_tokens"]!.GetValue<int>());
    }

    [Fact]
    public async Task Streamed_completion_chunks_concatenate_to_the_whole_text_and_end_with_done()
    {
        var (_, whole) = await f.PostAsync("/v1/completions", """{"prompt": [5, 60, 61, 200], "temperature": 0, "max_tokens": 10}""");
        var sse = await PostRawAsync("/v1/completions", """{"prompt": [5, 60, 61, 200], "temperature": 0, "max_tokens": 10, "stream": true, "stream_options": {"include_usage": true}}""");
        var events = Events(sse, out bool done);
        Assert.True(done);
        var text = string.Concat(events.Where(e => e["choices"]!.AsArray().Count > 0).Select(e => e["choices"]![0]!["text"]!.GetValue<string>()));
        Assert.Equal(whole!["choices"]![0]!["text"]!.GetValue<string>(), text);
        Assert.Equal(10, events[^1]["usage"]!["completion_tokens"]!.GetValue<int>());
        Assert.Equal("length", events[^2]["choices"]![0]!["finish_reason"]!.GetValue<string>());
    }

    [Fact]
    public async Task Chat_stream_has_the_role_first_then_content_then_finish_reason()
    {
        var (_, whole) = await f.PostAsync("/v1/chat/completions", """{"messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"}], "temperature": 0, "max_tokens": 16}""");
        var sse = await PostRawAsync("/v1/chat/completions", """{"messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"}], "temperature": 0, "max_tokens": 16, "stream": true}""");
        var events = Events(sse, out bool done);
        Assert.True(done);
        Assert.All(events, e => Assert.Equal("chat.completion.chunk", e["object"]!.GetValue<string>()));
        Assert.Equal("assistant", events[0]["choices"]![0]!["delta"]!["role"]!.GetValue<string>());
        var content = string.Concat(events.Select(e => e["choices"]![0]!["delta"]!["content"]?.GetValue<string>() ?? ""));
        Assert.Equal(whole!["choices"]![0]!["message"]!["content"]!.GetValue<string>(), content);
        Assert.Equal(whole["choices"]![0]!["finish_reason"]!.GetValue<string>(), events[^1]["choices"]![0]!["finish_reason"]!.GetValue<string>());
        Assert.All(events.Take(events.Count - 1), e => Assert.Null(e["choices"]![0]!["finish_reason"]));
    }

    [Fact]
    public async Task Seeded_n_choices_repeat_and_a_stop_string_ends_with_stop()
    {
        const string body = """{"prompt": "In the", "temperature": 1, "top_p": 0.9, "seed": 7, "n": 3, "max_tokens": 12}""";
        var (_, a) = await f.PostAsync("/v1/completions", body);
        var (_, b) = await f.PostAsync("/v1/completions", body);
        var texts = a!["choices"]!.AsArray().Select(c => c!["text"]!.GetValue<string>()).ToArray();
        Assert.Equal(3, texts.Length);
        Assert.Equal(texts, b!["choices"]!.AsArray().Select(c => c!["text"]!.GetValue<string>()));
        Assert.True(texts.Distinct().Count() > 1, "three seeded samples were all the same");
        // Same seed through `dlm sample`: the same first sample.
        var r = CliRunner.Run("sample", "--model", f.Dir, "--prompt", "In the", "--temperature", "1", "--top-p", "0.9", "--seed", "7", "--num-samples", "3", "--max-tokens", "12", "--json");
        var lines = r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonNode.Parse(l)!["text"]!.GetValue<string>()).ToArray();
        Assert.Equal(lines, texts);

        string full = texts[0];
        string stop = full.Trim().Length >= 3 ? full.Trim()[1..3] : full[..1];
        int at = full.IndexOf(stop, StringComparison.Ordinal);
        var (_, cut) = await f.PostAsync("/v1/completions", body.Replace("\"n\": 3", $"\"n\": 1, \"stop\": [{System.Text.Json.JsonSerializer.Serialize(stop)}]"));
        Assert.Equal(full[..at], cut!["choices"]![0]!["text"]!.GetValue<string>());
        Assert.Equal("stop", cut["choices"]![0]!["finish_reason"]!.GetValue<string>());
    }

    [Fact]
    public async Task Models_and_health_describe_the_server()
    {
        var models = await f.GetJsonAsync("/v1/models");
        Assert.Equal("list", models["object"]!.GetValue<string>());
        Assert.Equal(f.Served.Id, models["data"]![0]!["id"]!.GetValue<string>());
        var health = await f.GetJsonAsync("/health");
        Assert.Equal("ok", health["status"]!.GetValue<string>());
        Assert.Equal(ServeFixture.Slots, health["slots"]!.GetValue<int>());
        var (status, err) = await f.PostAsync("/v1/nothing", "{}");
        Assert.Equal(404, status);
        Assert.NotNull(err!["error"]!["message"]);
    }
}
