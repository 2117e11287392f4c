using System.ClientModel;
using Dlm.Chat;
using OpenAI;
using OpenAI.Chat;

namespace Dlm.Serve.Tests;

/// <summary>The official OpenAI .NET SDK as a real client of the running server on 127.0.0.1.</summary>
[Collection(ServeGroup.Name)]
public sealed class OpenAiSdkTests(ServeFixture f)
{
    private ChatClient Client() => new(f.Served.Id, new ApiKeyCredential("not-checked"), new OpenAIClientOptions { Endpoint = new Uri(f.Base, "v1") });

    // What `dlm sample` prints greedily for the conversation rendered by the model's renderer, ending at its stop token.
    private string SampleReference(string user, int maxTokens, out int promptTokens, out string stopReason)
    {
        var prompt = f.Served.Renderer.BuildGenerationPrompt([Message.User(user)]).ToInts();
        promptTokens = prompt.Length;
        var stop = f.Served.Renderer.GetStopSequences().Tokens!;
        var r = f.SampleTokens(prompt, maxTokens, [.. stop.SelectMany(t => new[] { "--stop-token", $"{t}" })]);
        stopReason = r["stop_reason"]!.GetValue<string>();
        var text = r["text"]!.GetValue<string>();
        Assert.True(text.Length > 10, $"the reference reply '{text}' is too short to compare");
        return text;
    }

    [Fact]
    public async Task Non_streaming_chat_text_equals_dlm_sample_greedy()
    {
        var expected = SampleReference("Tell me about the jury.", 24, out int promptTokens, out string reason);
        ChatCompletion c = await Client().CompleteChatAsync([new UserChatMessage("Tell me about the jury.")],
            new ChatCompletionOptions { Temperature = 0, MaxOutputTokenCount = 24 });
        Assert.Equal(expected, c.Content[0].Text);
        Assert.Equal(reason == "stop" ? ChatFinishReason.Stop : ChatFinishReason.Length, c.FinishReason);
        Assert.Equal(promptTokens, c.Usage.InputTokenCount);
        Assert.True(c.Usage.OutputTokenCount is > 0 and <= 24);
        Assert.Equal(f.Served.Id, c.Model);
    }

    [Fact]
    public async Task Streaming_chat_text_equals_dlm_sample_greedy()
    {
        var expected = SampleReference("What did the county say?", 30, out int promptTokens, out _);
        var text = new System.Text.StringBuilder();
        ChatFinishReason? finish = null;
        ChatTokenUsage? usage = null;
        int updates = 0;
        await foreach (var u in Client().CompleteChatStreamingAsync([new UserChatMessage("What did the county say?")],
            new ChatCompletionOptions { Temperature = 0, MaxOutputTokenCount = 30 }))
        {
            updates++;
            foreach (var part in u.ContentUpdate) text.Append(part.Text);
            finish ??= u.FinishReason;
            usage ??= u.Usage;
        }
        Assert.Equal(expected, text.ToString());
        Assert.NotNull(finish);
        Assert.True(updates > 2, $"the reply came in {updates} updates, not streamed");
        Assert.NotNull(usage);
        Assert.Equal(promptTokens, usage.InputTokenCount);
    }

    [Fact]
    public async Task Sdk_logprobs_and_a_wrong_model_name_is_an_error()
    {
        ChatCompletion c = await Client().CompleteChatAsync([new UserChatMessage("Hello")],
            new ChatCompletionOptions { Temperature = 0, MaxOutputTokenCount = 8, IncludeLogProbabilities = true, TopLogProbabilityCount = 3 });
        Assert.NotEmpty(c.ContentTokenLogProbabilities);
        foreach (var t in c.ContentTokenLogProbabilities)
        {
            Assert.Equal(3, t.TopLogProbabilities.Count);
            // Greedy: the chosen token is the most likely one, and its logprob is the same number in both places.
            Assert.Equal(t.TopLogProbabilities[0].LogProbability, t.LogProbability);
        }
        var wrong = new ChatClient("no-such-model", new ApiKeyCredential("x"), new OpenAIClientOptions { Endpoint = new Uri(f.Base, "v1") });
        var e = await Assert.ThrowsAsync<ClientResultException>(() => wrong.CompleteChatAsync([new UserChatMessage("Hi")]));
        Assert.Equal(404, e.Status);
    }
}
