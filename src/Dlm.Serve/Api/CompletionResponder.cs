using System.Buffers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Dlm.Chat;
using Dlm.Models.Generation;
using Dlm.Serve.Engine;
using Microsoft.AspNetCore.Http;

namespace Dlm.Serve.Api;

/// <summary>
/// Runs one <see cref="GenerationSpec"/> on the engine and answers in OpenAI's shapes: a
/// <c>chat.completion</c> / <c>text_completion</c> object, or with <c>stream</c> server-sent events
/// of <c>chat.completion.chunk</c> / <c>text_completion</c> chunks ending <c>data: [DONE]</c>.
/// Text is decoded as it streams (<see cref="StreamingText"/>): held back while a UTF-8 sequence or
/// a stop string is incomplete, cut before a stop string; an end-of-turn token is not shown.
/// </summary>
internal sealed class CompletionResponder(ServedModel served, ContinuousBatcher engine)
{
    // OpenAI's responses carry text as it is (no \u003C for '<'); the body is JSON, never HTML.
    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private static readonly byte[] Done = "data: [DONE]\n\n"u8.ToArray();

    public async Task RespondAsync(HttpContext ctx, GenerationSpec spec)
    {
        var request = new GenerationRequest(spec.Prompt, spec.N, spec.Params, spec.TopLogprobs, ctx.RequestAborted);
        engine.Submit(request);
        var choices = Enumerable.Range(0, spec.N).Select(_ => new Choice(served.Tokenizer, spec.StopStrings)).ToArray();
        string id = (spec.Chat ? "chatcmpl-" : "cmpl-") + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(12));
        long created = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var stopTokens = spec.Params.StopTokens;
        if (!spec.Stream)
        {
            await foreach (var e in request.Events.ReadAllAsync(ctx.RequestAborted).ConfigureAwait(false))
                Apply(choices, e, stopTokens);
            await WriteJson(ctx, 200, w => WholeResponse(w, spec, id, created, choices)).ConfigureAwait(false);
            return;
        }

        ctx.Response.StatusCode = 200;
        ctx.Response.ContentType = "text/event-stream";
        ctx.Response.Headers.CacheControl = "no-cache";
        ctx.Response.Headers["X-Accel-Buffering"] = "no";
        var body = ctx.Response.Body;
        if (spec.Chat)
            for (int i = 0; i < spec.N; i++)
                await Event(body, w => Chunk(w, spec, id, created, i, w2 => { w2.WriteString("role", "assistant"); w2.WriteString("content", ""); }, null, null, i == 0)).ConfigureAwait(false);
        try
        {
            await foreach (var e in request.Events.ReadAllAsync(ctx.RequestAborted).ConfigureAwait(false))
            {
                var c = choices[e switch { TokenEvent t => t.Sample, FinishEvent f => f.Sample, _ => 0 }];
                if (e is TokenEvent te)
                {
                    string delta = Apply(choices, e, stopTokens);
                    bool shown = !stopTokens.Contains(te.Token);
                    if (delta.Length == 0 && !((spec.Logprobs || spec.ReturnTokenIds) && shown)) continue;
                    var lp = spec.Logprobs && shown ? c.Logprobs[^1] : null;
                    await Event(body, w => Chunk(w, spec, id, created, te.Sample, w2 => Delta(w2, spec, delta), lp, null, false,
                        spec.ReturnTokenIds ? [te.Token] : null)).ConfigureAwait(false);
                }
                else if (e is FinishEvent fe)
                {
                    string rest = Apply(choices, e, stopTokens);
                    await Event(body, w => Chunk(w, spec, id, created, fe.Sample, w2 => Delta(w2, spec, rest), null, c.Reason, false)).ConfigureAwait(false);
                }
            }
            if (spec.IncludeUsage) await Event(body, w => UsageChunk(w, spec, id, created, choices)).ConfigureAwait(false);
            await body.WriteAsync(Done, ctx.RequestAborted).ConfigureAwait(false);
            await body.FlushAsync(ctx.RequestAborted).ConfigureAwait(false);
        }
        catch (Exception e) when (e is Dlm.Core.DlmException or ObjectDisposedException)
        {
            // The headers are gone: the error travels as one last event, as OpenAI's streams do.
            await Event(body, w => ErrorBody(w, new ApiException(500, e.Message, type: "server_error"))).ConfigureAwait(false);
        }
    }

    // Folds an event into its choice; returns the text that became final.
    private static string Apply(Choice[] choices, GenerationEvent e, IReadOnlyList<int> stopTokens)
    {
        switch (e)
        {
            case TokenEvent t:
            {
                var c = choices[t.Sample];
                c.Tokens.Add(t.Token);
                if (stopTokens.Contains(t.Token)) return "";
                c.Logprobs.Add(t);
                return c.Text.Push(t.Token);
            }
            case FinishEvent f:
            {
                var c = choices[f.Sample];
                c.Reason = f.Reason == StopReason.Stop || c.Text.Stopped ? "stop" : "length";
                return c.Text.Flush();
            }
            default:
                return "";
        }
    }

    private void WholeResponse(Utf8JsonWriter w, GenerationSpec spec, string id, long created, Choice[] choices)
    {
        w.WriteStartObject();
        w.WriteString("id", id);
        w.WriteString("object", spec.Chat ? "chat.completion" : "text_completion");
        w.WriteNumber("created", created);
        w.WriteString("model", served.Id);
        if (spec.ReturnTokenIds) Ints(w, "prompt_token_ids", spec.Prompt);
        w.WriteStartArray("choices");
        for (int i = 0; i < choices.Length; i++)
        {
            var c = choices[i];
            w.WriteStartObject();
            w.WriteNumber("index", i);
            if (spec.Chat)
            {
                w.WriteStartObject("message");
                w.WriteString("role", "assistant");
                w.WriteString("content", c.Text.Text);
                w.WriteEndObject();
            }
            else w.WriteString("text", c.Text.Text);
            if (spec.Logprobs) Logprobs(w, spec, c.Logprobs);
            else w.WriteNull("logprobs");
            w.WriteString("finish_reason", c.Reason);
            if (spec.ReturnTokenIds) Ints(w, "token_ids", c.Tokens);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        Usage(w, spec, choices);
        w.WriteEndObject();
    }

    private void Chunk(Utf8JsonWriter w, GenerationSpec spec, string id, long created, int index, Action<Utf8JsonWriter> delta,
        TokenEvent? logprob, string? finish, bool first, IReadOnlyList<int>? tokenIds = null)
    {
        w.WriteStartObject();
        w.WriteString("id", id);
        w.WriteString("object", spec.Chat ? "chat.completion.chunk" : "text_completion");
        w.WriteNumber("created", created);
        w.WriteString("model", served.Id);
        if (first && spec.ReturnTokenIds) Ints(w, "prompt_token_ids", spec.Prompt);
        w.WriteStartArray("choices");
        w.WriteStartObject();
        w.WriteNumber("index", index);
        if (spec.Chat)
        {
            w.WriteStartObject("delta");
            delta(w);
            w.WriteEndObject();
        }
        else delta(w);
        if (logprob is not null) Logprobs(w, spec, [logprob]);
        else w.WriteNull("logprobs");
        if (finish is null) w.WriteNull("finish_reason");
        else w.WriteString("finish_reason", finish);
        if (tokenIds is not null) Ints(w, "token_ids", tokenIds);
        w.WriteEndObject();
        w.WriteEndArray();
        w.WriteEndObject();
    }

    private static void Delta(Utf8JsonWriter w, GenerationSpec spec, string text)
    {
        if (spec.Chat)
        {
            if (text.Length > 0) w.WriteString("content", text);
        }
        else w.WriteString("text", text);
    }

    private void UsageChunk(Utf8JsonWriter w, GenerationSpec spec, string id, long created, Choice[] choices)
    {
        w.WriteStartObject();
        w.WriteString("id", id);
        w.WriteString("object", spec.Chat ? "chat.completion.chunk" : "text_completion");
        w.WriteNumber("created", created);
        w.WriteString("model", served.Id);
        w.WriteStartArray("choices");
        w.WriteEndArray();
        Usage(w, spec, choices);
        w.WriteEndObject();
    }

    private static void Usage(Utf8JsonWriter w, GenerationSpec spec, Choice[] choices)
    {
        int completion = choices.Sum(c => c.Tokens.Count);
        w.WriteStartObject("usage");
        w.WriteNumber("prompt_tokens", spec.Prompt.Length);
        w.WriteNumber("completion_tokens", completion);
        w.WriteNumber("total_tokens", spec.Prompt.Length + completion);
        w.WriteEndObject();
    }

    // Chat: {"content": [{token, logprob, bytes, top_logprobs}]}; completions: the legacy parallel arrays.
    private void Logprobs(Utf8JsonWriter w, GenerationSpec spec, IReadOnlyList<TokenEvent> tokens)
    {
        var tok = served.Tokenizer;
        w.WriteStartObject("logprobs");
        if (spec.Chat)
        {
            w.WriteStartArray("content");
            foreach (var t in tokens)
            {
                w.WriteStartObject();
                TokenFields(w, t.Token, t.Logprob);
                w.WriteStartArray("top_logprobs");
                foreach (var a in t.Top)
                {
                    w.WriteStartObject();
                    TokenFields(w, a.Token, a.Logprob);
                    w.WriteEndObject();
                }
                w.WriteEndArray();
                w.WriteEndObject();
            }
            w.WriteEndArray();
        }
        else
        {
            w.WriteStartArray("tokens");
            foreach (var t in tokens) w.WriteStringValue(tok.Decode([t.Token]));
            w.WriteEndArray();
            w.WriteStartArray("token_logprobs");
            foreach (var t in tokens) w.WriteNumberValue(t.Logprob);
            w.WriteEndArray();
            w.WriteStartArray("top_logprobs");
            foreach (var t in tokens)
            {
                w.WriteStartObject();
                foreach (var a in t.Top) w.WriteNumber(tok.Decode([a.Token]), a.Logprob);
                w.WriteEndObject();
            }
            w.WriteEndArray();
        }
        w.WriteEndObject();
    }

    private void TokenFields(Utf8JsonWriter w, int token, float logprob)
    {
        string text = served.Tokenizer.Decode([token]);
        w.WriteString("token", text);
        w.WriteNumber("logprob", logprob);
        w.WriteStartArray("bytes");
        foreach (byte b in Encoding.UTF8.GetBytes(text)) w.WriteNumberValue(b);
        w.WriteEndArray();
    }

    private static void Ints(Utf8JsonWriter w, string name, IEnumerable<int> values)
    {
        w.WriteStartArray(name);
        foreach (int v in values) w.WriteNumberValue(v);
        w.WriteEndArray();
    }

    /// <summary>Writes OpenAI's error object for <paramref name="e"/>.</summary>
    public static void ErrorBody(Utf8JsonWriter w, ApiException e)
    {
        w.WriteStartObject();
        w.WriteStartObject("error");
        w.WriteString("message", e.Message);
        w.WriteString("type", e.Type);
        if (e.Param is null) w.WriteNull("param");
        else w.WriteString("param", e.Param);
        if (e.Code is null) w.WriteNull("code");
        else w.WriteString("code", e.Code);
        w.WriteEndObject();
        w.WriteEndObject();
    }

    /// <summary>Answers <paramref name="status"/> with the JSON <paramref name="write"/> produces.</summary>
    public static async Task WriteJson(HttpContext ctx, int status, Action<Utf8JsonWriter> write)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var w = new Utf8JsonWriter(buffer, WriterOptions)) write(w);
        ctx.Response.StatusCode = status;
        ctx.Response.ContentType = "application/json";
        ctx.Response.ContentLength = buffer.WrittenCount;
        await ctx.Response.Body.WriteAsync(buffer.WrittenMemory, ctx.RequestAborted).ConfigureAwait(false);
    }

    private static async Task Event(Stream body, Action<Utf8JsonWriter> write)
    {
        var buffer = new ArrayBufferWriter<byte>();
        buffer.Write("data: "u8);
        using (var w = new Utf8JsonWriter(buffer, WriterOptions)) write(w);
        buffer.Write("\n\n"u8);
        await body.WriteAsync(buffer.WrittenMemory).ConfigureAwait(false);
        await body.FlushAsync().ConfigureAwait(false);
    }

    private sealed class Choice(Dlm.Tokenizers.ITokenizer tokenizer, IReadOnlyList<string> stops)
    {
        public StreamingText Text { get; } = new(tokenizer, stops);
        public List<int> Tokens { get; } = [];
        public List<TokenEvent> Logprobs { get; } = [];
        public string Reason { get; set; } = "length";
    }
}
