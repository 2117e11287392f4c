using System.Net;
using System.Text.Json.Nodes;

namespace Dlm.Serve.Tests;

/// <summary>Limits and bad requests: OpenAI's error JSON naming the field, and the server keeps serving.</summary>
[Collection(ServeGroup.Name)]
public sealed class SafetyTests(ServeFixture f)
{
    private const string Good = """{"messages": [{"role": "user", "content": "Hello"}], "temperature": 0, "max_tokens": 6}""";

    public static TheoryData<string, int, string?> BadRequests => new()
    {
        { """{"messages": [{"role": "user", "content": "x"}""", 400, "body" },
        { "not json at all", 400, "body" },
        { "[1, 2]", 400, "body" },
        { """{"messages": [{"role": "wizard", "content": "x"}]}""", 400, "messages[0].role" },
        { """{"messages": [{"role": "user", "content": 5}]}""", 400, "messages[0].content" },
        { """{"messages": [{"role": "user", "content": [{"type": "image_url", "image_url": {}}]}]}""", 400, "messages[0].content[0].image_url" },
        { """{"messages": "hello"}""", 400, "messages" },
        { """{"messages": []}""", 400, "messages" },
        { """{}""", 400, "messages" },
        { """{"messages": [{"role": "user", "content": "x"}], "temperature": "hot"}""", 400, "temperature" },
        { """{"messages": [{"role": "user", "content": "x"}], "temperature": 9}""", 400, "temperature" },
        { """{"messages": [{"role": "user", "content": "x"}], "max_tokens": 1.5}""", 400, "max_tokens" },
        { """{"messages": [{"role": "user", "content": "x"}], "max_tokens": 100000}""", 400, "max_tokens" },
        { """{"messages": [{"role": "user", "content": "x"}], "n": 0}""", 400, "n" },
        { """{"messages": [{"role": "user", "content": "x"}], "stream": "yes"}""", 400, "stream" },
        { """{"messages": [{"role": "user", "content": "x"}], "stop": [1]}""", 400, "stop[0]" },
        { """{"messages": [{"role": "user", "content": "x"}], "top_logprobs": 3}""", 400, "top_logprobs" },
        { """{"messages": [{"role": "user", "content": "x"}], "tools": []}""", 400, "tools" },
        { """{"messages": [{"role": "user", "content": "x"}], "presence_penalty": 0.5}""", 400, "presence_penalty" },
    };

    [Theory]
    [MemberData(nameof(BadRequests))]
    public async Task A_bad_chat_request_is_a_400_naming_the_field(string body, int status, string? param)
    {
        var (code, json) = await f.PostAsync("/v1/chat/completions", body);
        Assert.Equal(status, code);
        var e = json!["error"]!;
        Assert.Equal("invalid_request_error", e["type"]!.GetValue<string>());
        Assert.Equal(param, e["param"]?.GetValue<string>());
        Assert.Contains(param!, e["message"]!.GetValue<string>());
    }

    [Fact]
    public async Task Completion_prompt_errors_name_the_field()
    {
        var (code, json) = await f.PostAsync("/v1/completions", """{"prompt": [1, "two"]}""");
        Assert.Equal(400, code);
        Assert.Equal("prompt[1]", json!["error"]!["param"]!.GetValue<string>());
        (code, json) = await f.PostAsync("/v1/completions", """{"prompt": [99999]}""");
        Assert.Equal("prompt[0]", json!["error"]!["param"]!.GetValue<string>());
        (code, json) = await f.PostAsync("/v1/completions", """{"prompt": "x", "echo": true}""");
        Assert.Equal("echo", json!["error"]!["param"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_long_prompt_is_a_400_and_an_oversized_body_a_413()
    {
        var words = string.Join(' ', Enumerable.Repeat("jury county", 200));
        var (code, json) = await f.PostAsync("/v1/chat/completions", $$"""{"messages": [{"role": "user", "content": "{{words}}"}]}""");
        Assert.Equal(400, code);
        Assert.Equal("context_length_exceeded", json!["error"]!["code"]!.GetValue<string>());
        Assert.Equal("messages", json["error"]!["param"]!.GetValue<string>());

        var huge = new string('a', (int)ServeFixture.MaxBody + 10);
        (code, json) = await f.PostAsync("/v1/completions", $$"""{"prompt": "{{huge}}"}""");
        Assert.Equal(413, code);
        Assert.Equal("request_too_large", json!["error"]!["code"]!.GetValue<string>());

        // Without a Content-Length (chunked): the limit still holds while reading.
        using var req = new HttpRequestMessage(HttpMethod.Post, new Uri(f.Base, "/v1/completions"))
        {
            Content = new StreamContent(new MemoryStream(System.Text.Encoding.UTF8.GetBytes($$"""{"prompt": "{{huge}}"}"""))),
        };
        req.Headers.TransferEncodingChunked = true;
        using var res = await f.Http.SendAsync(req);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, res.StatusCode);
        Assert.Contains("exceeds the limit", await res.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Bad_and_oversized_requests_sent_with_good_ones_leave_every_good_one_served()
    {
        var expected = (await f.PostAsync("/v1/chat/completions", Good)).Json!["choices"]![0]!["message"]!["content"]!.GetValue<string>();
        var bad = BadRequests.Select(r => (string)r[0]).ToList();
        bad.Add($$"""{"prompt": "{{new string('b', (int)ServeFixture.MaxBody * 2)}}"}""");
        var tasks = new List<Task<(int, JsonNode?)>>();
        var good = new List<Task<(int, JsonNode?)>>();
        for (int round = 0; round < 3; round++)
        {
            foreach (var b in bad) tasks.Add(f.PostAsync(b.Contains("\"prompt\"") ? "/v1/completions" : "/v1/chat/completions", b));
            for (int i = 0; i < 4; i++) good.Add(f.PostAsync("/v1/chat/completions", Good));
        }
        var badResults = await Task.WhenAll(tasks);
        var goodResults = await Task.WhenAll(good);
        foreach (var (status, _) in badResults) Assert.InRange(status, 400, 413);
        foreach (var (status, json) in goodResults)
        {
            Assert.Equal(200, status);
            Assert.Equal(expected, json!["choices"]![0]!["message"]!["content"]!.GetValue<string>());
        }
        Assert.Equal("ok", (await f.GetJsonAsync("/health"))["status"]!.GetValue<string>());
    }

    [Fact]
    public async Task The_api_key_guards_every_route_but_health_and_the_page()
    {
        await using var server = await DlmServer.StartAsync(f.Served, ServeFixture.Options(apiKey: "s3cret"));
        using var http = new HttpClient { BaseAddress = server.BaseAddress };
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/health")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/")).StatusCode);
        var noKey = await http.GetAsync("/v1/models");
        Assert.Equal(HttpStatusCode.Unauthorized, noKey.StatusCode);
        Assert.Equal("invalid_api_key", JsonNode.Parse(await noKey.Content.ReadAsStringAsync())!["error"]!["code"]!.GetValue<string>());
        foreach (var key in new[] { "wrong", "s3cre", "s3cret2" })
        {
            using var req = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions") { Content = new StringContent(Good) };
            req.Headers.Authorization = new("Bearer", key);
            Assert.Equal(HttpStatusCode.Unauthorized, (await http.SendAsync(req)).StatusCode);
        }
        using var ok = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions") { Content = new StringContent(Good) };
        ok.Headers.Authorization = new("Bearer", "s3cret");
        Assert.Equal(HttpStatusCode.OK, (await http.SendAsync(ok)).StatusCode);
    }

    [Fact]
    public async Task The_server_binds_loopback_by_default()
    {
        Assert.Equal("127.0.0.1", new ServeOptions().Host);
        Assert.Equal("127.0.0.1", f.Base.Host);
        Assert.True(IPAddress.IsLoopback(IPAddress.Parse(f.Base.Host)));
        await Task.CompletedTask;
    }
}
