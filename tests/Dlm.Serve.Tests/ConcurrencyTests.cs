using System.Diagnostics;
using System.Text.Json.Nodes;
using Dlm.Models.Generation;
using Dlm.Serve.Engine;

namespace Dlm.Serve.Tests;

/// <summary>Concurrent requests share batched decode steps; a client that goes away frees its slot.</summary>
[Collection(ServeGroup.Name)]
public sealed class ConcurrencyTests(ServeFixture f)
{
    private static string Chat(string text, int max) =>
        $$"""{"messages": [{"role": "user", "content": "{{text}}"}], "temperature": 0, "max_tokens": {{max}}}""";

    private static string Content(JsonNode? j) => j!["choices"]![0]!["message"]!["content"]!.GetValue<string>();

    [Fact]
    public async Task Concurrent_requests_decode_together_and_each_gets_its_solo_text()
    {
        string[] prompts = ["The jury", "said it", "County", "election", "of the city", "Fulton", "it did", "Atlanta"];
        var solo = new List<string>();
        foreach (var p in prompts) solo.Add(Content((await f.PostAsync("/v1/chat/completions", Chat(p, 40))).Json));
        long before = f.Server.Engine.Steps;
        // Hold the engine until every request has arrived, so they surely overlap (a tiny model is fast).
        using var gate = new ManualResetEventSlim();
        var engine = f.Server.Engine;
        engine.Post(() => gate.Wait(TimeSpan.FromSeconds(30)));
        var sending = prompts.Select(p => f.PostAsync("/v1/chat/completions", Chat(p, 40))).ToArray();
        var sw = Stopwatch.StartNew();
        while (engine.Queued < prompts.Length && sw.ElapsedMilliseconds < 20_000) await Task.Delay(5);
        Assert.Equal(prompts.Length, engine.Queued);
        gate.Set();
        var together = await Task.WhenAll(sending);
        long steps = f.Server.Engine.Steps - before;
        int generated = together.Sum(t => t.Json!["usage"]!["completion_tokens"]!.GetValue<int>());
        for (int i = 0; i < prompts.Length; i++) Assert.Equal(solo[i], Content(together[i].Json));
        // Queued one by one, the steps would be about the sum of the tokens; batched, far fewer.
        Assert.True(steps < generated / 2, $"{steps} decode steps for {generated} tokens: not batched");
        Assert.Equal(prompts.Length, f.Server.Engine.LargestBatch);
    }

    [Fact]
    public async Task Requests_join_and_leave_the_batch_between_steps()
    {
        using var engine = new ContinuousBatcher(f.Served.Model, 4, ServeFixture.Context, null);
        var p = new SamplingParams { Temperature = 0, MaxTokens = 40 };
        var longOne = new GenerationRequest([5, 60, 61], 1, p);
        // Pause the engine at its fifth iteration (the long request a few steps in), submit, go on.
        using var hold = new ManualResetEventSlim();
        using var held = new ManualResetEventSlim();
        int ticks = 0;
        void Tick()
        {
            if (++ticks < 5) engine.Post(Tick);
            else { held.Set(); hold.Wait(TimeSpan.FromSeconds(30)); }
        }
        engine.Submit(longOne);
        engine.Post(Tick);
        Assert.True(held.Wait(TimeSpan.FromSeconds(30)));
        // A short request joins while the long one runs, and finishes first.
        var shortOne = new GenerationRequest([7, 8], 2, p with { MaxTokens = 3 });
        engine.Submit(shortOne);
        hold.Set();
        var first = await longOne.Events.ReadAsync();
        var shortEvents = new List<GenerationEvent>();
        await foreach (var e in shortOne.Events.ReadAllAsync()) shortEvents.Add(e);
        Assert.Equal(2, shortEvents.OfType<FinishEvent>().Count());
        Assert.Equal(6, shortEvents.OfType<TokenEvent>().Count());
        var longEvents = new List<GenerationEvent> { first };
        await foreach (var e in longOne.Events.ReadAllAsync()) longEvents.Add(e);
        Assert.Equal(40, longEvents.OfType<TokenEvent>().Count());
        Assert.Equal(3, engine.LargestBatch);
        // The long request's tokens are those of a batch of one (Generator over a fresh session).
        var alone = Generator.Sample(new InferenceSession(f.Served.Model, 1, ServeFixture.Context), [5, 60, 61], 1, p);
        Assert.Equal(alone.Sequences[0].Tokens, longEvents.OfType<TokenEvent>().Select(t => t.Token));
        Assert.Equal(0, engine.ActiveSlots);
    }

    [Fact]
    public async Task A_client_that_disconnects_frees_its_slot_at_once()
    {
        // A long context, so the request would run for many steps if nobody stopped it.
        var dir = Directory.CreateTempSubdirectory("dlm-serve-long-").FullName;
        try
        {
            ServeFixture.WriteModel(dir, dModel: 128, layers: 4, context: 2048);
            await using var server = await DlmServer.StartAsync(ServedModel.Load(dir), new ServeOptions { Port = 0, Slots = 2, MaxTokens = 2000 });
            // No drain on dispose: by default the handler reads up to 1 MB of an undisposed response
            // to reuse the connection, which here would read all 2000 tokens instead of leaving.
            using var http = new HttpClient(new SocketsHttpHandler { MaxResponseDrainSize = 0 }) { BaseAddress = server.BaseAddress };
            var body = """{"prompt": [5, 60, 61], "temperature": 0, "max_tokens": 2000, "stream": true}""";
            using (var cts = new CancellationTokenSource())
            {
                using var req = new HttpRequestMessage(HttpMethod.Post, "/v1/completions") { Content = new StringContent(body) };
                using var res = await http.SendAsync(req, HttpCompletionOption.ResponseHeadersRead, cts.Token);
                var stream = await res.Content.ReadAsStreamAsync(cts.Token);
                Assert.True(await stream.ReadAsync(new byte[64], cts.Token) > 0);
                // Hold the engine (at its next iteration) while the client goes away, so it cannot
                // simply finish the 2000 tokens first; released, it must drop the request.
                var gate = new ManualResetEventSlim(); // not disposed: the engine thread may still be leaving Wait
                server.Engine.Post(() => gate.Wait(TimeSpan.FromSeconds(30)));
                Assert.Equal(1, server.Engine.ActiveSlots);
                // Going away means closing the connection: cancelling alone leaves it open until the
                // response is disposed, and on a fast machine the engine would finish first.
                cts.Cancel();
                stream.Dispose();
                res.Dispose();
                await Task.Delay(300);
                gate.Set();
            }
            var sw = Stopwatch.StartNew();
            while (server.Engine.ActiveSlots > 0 && sw.ElapsedMilliseconds < 10_000) await Task.Delay(2);
            Assert.Equal(0, server.Engine.ActiveSlots);
            long generated = server.Engine.GeneratedTokens;
            Assert.True(generated < 2000, $"the request ran to the end ({generated} tokens) instead of stopping with its client");
            await Task.Delay(100);
            Assert.Equal(generated, server.Engine.GeneratedTokens);
            // The server still serves.
            using var next = await http.PostAsync("/v1/completions", new StringContent("""{"prompt": [5], "max_tokens": 2}"""));
            Assert.Equal(200, (int)next.StatusCode);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
