using System.Net;
using System.Reflection;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Dlm.Core;
using Dlm.Serve.Api;
using Dlm.Serve.Engine;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Dlm.Serve;

/// <summary>
/// The OpenAI-compatible HTTP server (Kestrel, minimal APIs) over a <see cref="ContinuousBatcher"/>:
/// <c>POST /v1/chat/completions</c>, <c>POST /v1/completions</c>, <c>GET /v1/models</c>,
/// <c>GET /health</c>, <c>POST /v1/attention</c> (the last layer's attention, for the page) and the
/// chat page at <c>/</c>. Every bad request is answered with OpenAI's error JSON and never stops
/// the server.
/// </summary>
public sealed class DlmServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ServedModel _served;
    private readonly ServeOptions _options;
    private readonly RequestParser _parser;
    private readonly CompletionResponder _responder;
    private readonly byte[]? _key;
    private readonly long _created = DateTimeOffset.UtcNow.ToUnixTimeSeconds();

    private DlmServer(ServedModel served, ServeOptions options)
    {
        _served = served;
        _options = options;
        int capacity = options.Context ?? Math.Min(served.Model.Config.ContextLength, 4096);
        if (capacity < 2 || capacity > served.Model.Config.ContextLength)
            throw new DlmException($"--context must lie in 2..{served.Model.Config.ContextLength} (the model's context), not {capacity}");
        if (options.MaxBodyBytes < 1024) throw new DlmException($"--max-body-bytes must be at least 1024, not {options.MaxBodyBytes}");
        if (options.MaxTokens < 1) throw new DlmException($"--max-tokens-limit must be at least 1, not {options.MaxTokens}");
        if (options.MaxPromptTokens < 1) throw new DlmException($"--max-prompt-tokens must be at least 1, not {options.MaxPromptTokens}");
        var tokenizer = served.Tokenizer;
        Engine = new ContinuousBatcher(served.Model, options.Slots, capacity, ids => tokenizer.Decode(ids));
        _parser = new RequestParser(served, options, capacity, options.Slots);
        _responder = new CompletionResponder(served, Engine);
        _key = string.IsNullOrEmpty(options.ApiKey) ? null : Encoding.UTF8.GetBytes(options.ApiKey);

        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [], ApplicationName = "dlm-serve" });
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k =>
        {
            k.AddServerHeader = false;
            k.Limits.MaxRequestBodySize = options.MaxBodyBytes;
            k.Limits.MaxRequestHeadersTotalSize = 32 * 1024;
            if (options.Host is "localhost") k.ListenLocalhost(options.Port);
            else if (IPAddress.TryParse(options.Host, out var ip)) k.Listen(ip, options.Port);
            else throw new DlmException($"--host {options.Host}: expected an IP address (127.0.0.1, ::1, 0.0.0.0) or localhost");
        });
        _app = builder.Build();
        _app.Use(Guard);
        _app.MapGet("/", Page);
        _app.MapGet("/health", Health);
        _app.MapGet("/v1/models", Models);
        _app.MapGet("/v1/models/{id}", Model);
        _app.MapPost("/v1/chat/completions", ctx => Generate(ctx, chat: true));
        _app.MapPost("/v1/completions", ctx => Generate(ctx, chat: false));
        _app.MapPost("/v1/attention", Attention);
        _app.MapFallback(ctx => Error(ctx, new ApiException(404, $"no route {ctx.Request.Method} {ctx.Request.Path}", type: "not_found_error")));
    }

    /// <summary>The engine decoding the requests.</summary>
    public ContinuousBatcher Engine { get; }

    /// <summary>Where the server listens (<c>http://127.0.0.1:PORT</c>), known once started.</summary>
    public Uri BaseAddress { get; private set; } = new("http://127.0.0.1/");

    /// <summary>Starts a server for <paramref name="served"/>; it listens when the task completes.</summary>
    public static async Task<DlmServer> StartAsync(ServedModel served, ServeOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(served);
        ArgumentNullException.ThrowIfNull(options);
        var server = new DlmServer(served, options);
        try
        {
            await server._app.StartAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (IOException e)
        {
            await server.DisposeAsync().ConfigureAwait(false);
            throw new DlmException($"cannot listen on {options.Host}:{options.Port}: {e.Message}");
        }
        var address = server._app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        server.BaseAddress = new Uri(address.Replace("[::]", "127.0.0.1", StringComparison.Ordinal).Replace("0.0.0.0", "127.0.0.1", StringComparison.Ordinal));
        return server;
    }

    /// <summary>Completes when the server has stopped (after <paramref name="cancellationToken"/> fires).</summary>
    public Task WaitForShutdownAsync(CancellationToken cancellationToken) => Microsoft.Extensions.Hosting.HostingAbstractionsHostExtensions.WaitForShutdownAsync(_app, cancellationToken);

    // The API key (when set) on every route but /health and the static page; and the catch-all for bad requests.
    private async Task Guard(HttpContext ctx, RequestDelegate next)
    {
        try
        {
            var path = ctx.Request.Path.Value ?? "/";
            bool open = path == "/health" || (path == "/" && HttpMethods.IsGet(ctx.Request.Method));
            if (_key is not null && !open && !Authorized(ctx.Request.Headers.Authorization.ToString()))
                throw new ApiException(401, "Incorrect or missing API key: send Authorization: Bearer KEY", type: "authentication_error", code: "invalid_api_key");
            await next(ctx).ConfigureAwait(false);
        }
        catch (ApiException e)
        {
            await Error(ctx, e).ConfigureAwait(false);
        }
        catch (DlmException e)
        {
            await Error(ctx, new ApiException(400, e.Message)).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (ctx.RequestAborted.IsCancellationRequested)
        {
            // The client went away; the engine has already let its slots go.
        }
        catch (IOException) when (ctx.RequestAborted.IsCancellationRequested)
        {
        }
#pragma warning disable CA1031 // a bug in one request must not take the server down: it is answered as a 500
        catch (Exception e) when (!ctx.RequestAborted.IsCancellationRequested)
        {
            await Error(ctx, new ApiException(500, $"internal error: {e.GetType().Name}: {e.Message}", type: "server_error")).ConfigureAwait(false);
        }
#pragma warning restore CA1031
    }

    private bool Authorized(string header)
    {
        const string scheme = "Bearer ";
        if (!header.StartsWith(scheme, StringComparison.OrdinalIgnoreCase)) return false;
        var given = Encoding.UTF8.GetBytes(header[scheme.Length..].Trim());
        return CryptographicOperations.FixedTimeEquals(given, _key);
    }

    private static async Task Error(HttpContext ctx, ApiException e)
    {
        if (ctx.Response.HasStarted) return;
        await CompletionResponder.WriteJson(ctx, e.Status, w => CompletionResponder.ErrorBody(w, e)).ConfigureAwait(false);
    }

    private async Task Generate(HttpContext ctx, bool chat)
    {
        using var body = await ReadJson(ctx).ConfigureAwait(false);
        var spec = chat ? _parser.Chat(body.RootElement) : _parser.Completion(body.RootElement);
        if (Engine.Queued >= _options.MaxQueued)
            throw new ApiException(429, $"the server is busy: {Engine.Queued} requests are waiting for a slot; retry later", type: "rate_limit_error", code: "server_busy");
        await _responder.RespondAsync(ctx, spec).ConfigureAwait(false);
    }

    // The body as JSON, at most MaxBodyBytes (413 beyond), malformed JSON a 400.
    private async Task<JsonDocument> ReadJson(HttpContext ctx)
    {
        long max = _options.MaxBodyBytes;
        if (ctx.Request.ContentLength > max) throw TooLarge(ctx.Request.ContentLength.Value);
        var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        try
        {
            while (true)
            {
                int n = await ctx.Request.Body.ReadAsync(chunk, ctx.RequestAborted).ConfigureAwait(false);
                if (n == 0) break;
                if (buffer.Length + n > max) throw TooLarge(buffer.Length + n);
                buffer.Write(chunk, 0, n);
            }
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            throw TooLarge(max + 1);
        }
        if (buffer.Length == 0) throw ApiException.Field("body", "expected a JSON object, got an empty body");
        try
        {
            return JsonDocument.Parse(buffer.GetBuffer().AsMemory(0, (int)buffer.Length), new JsonDocumentOptions { MaxDepth = 32 });
        }
        catch (JsonException e)
        {
            throw new ApiException(400, $"body: malformed JSON: {e.Message}", "body");
        }
        ApiException TooLarge(long size) =>
            new(413, $"body: the request body of {(size > max ? "more than " + max : size.ToString(System.Globalization.CultureInfo.InvariantCulture))} bytes exceeds the limit of {max} bytes", "body", code: "request_too_large");
    }

    private Task Health(HttpContext ctx) => CompletionResponder.WriteJson(ctx, 200, w =>
    {
        w.WriteStartObject();
        w.WriteString("status", "ok");
        w.WriteString("model", _served.Id);
        w.WriteNumber("slots", Engine.Slots);
        w.WriteNumber("active_slots", Engine.ActiveSlots);
        w.WriteNumber("queued", Engine.Queued);
        w.WriteNumber("context", Engine.Capacity);
        w.WriteNumber("decode_steps", Engine.Steps);
        w.WriteNumber("generated_tokens", Engine.GeneratedTokens);
        w.WriteNumber("largest_batch", Engine.LargestBatch);
        w.WriteEndObject();
    });

    private Task Models(HttpContext ctx) => CompletionResponder.WriteJson(ctx, 200, w =>
    {
        w.WriteStartObject();
        w.WriteString("object", "list");
        w.WriteStartArray("data");
        ModelObject(w);
        w.WriteEndArray();
        w.WriteEndObject();
    });

    private Task Model(HttpContext ctx)
    {
        var id = ctx.Request.RouteValues["id"] as string;
        if (id != _served.Id) throw new ApiException(404, $"The model '{id}' does not exist", "model", code: "model_not_found");
        return CompletionResponder.WriteJson(ctx, 200, ModelObject);
    }

    private void ModelObject(Utf8JsonWriter w)
    {
        var c = _served.Model.Config;
        w.WriteStartObject();
        w.WriteString("id", _served.Id);
        w.WriteString("object", "model");
        w.WriteNumber("created", _created);
        w.WriteString("owned_by", "dlm");
        w.WriteNumber("max_model_len", Engine.Capacity);
        w.WriteString("renderer", _served.Renderer.Name);
        w.WriteNumber("layers", c.Layers);
        w.WriteNumber("heads", c.Heads);
        w.WriteEndObject();
    }

    // {"tokens": [ids]} → the last layer's attention of the last token over all of them, per head and averaged.
    private async Task Attention(HttpContext ctx)
    {
        using var body = await ReadJson(ctx).ConfigureAwait(false);
        var f = new JsonFields(body.RootElement, "");
        f.OnlyKnown("model", "tokens");
        if (f.String("model") is { } model && model != _served.Id)
            throw new ApiException(404, $"The model '{model}' does not exist", "model", code: "model_not_found");
        if (f.Get("tokens") is not { ValueKind: JsonValueKind.Array } arr) throw ApiException.Field("tokens", "expected an array of token ids");
        var tokens = new List<int>();
        int vocab = _served.Model.Config.VocabSize;
        foreach (var e in arr.EnumerateArray())
        {
            if (e.ValueKind != JsonValueKind.Number || !e.TryGetInt32(out int id) || (uint)id >= (uint)vocab)
                throw ApiException.Field($"tokens[{tokens.Count}]", $"expected a token id in 0..{vocab - 1}");
            tokens.Add(id);
        }
        if (tokens.Count == 0) throw ApiException.Field("tokens", "must not be empty");
        if (tokens.Count > Engine.Capacity) throw ApiException.Field("tokens", $"{tokens.Count} tokens exceed the context of {Engine.Capacity}");
        var heads = await Engine.AttentionAsync([.. tokens], ctx.RequestAborted).ConfigureAwait(false);
        await CompletionResponder.WriteJson(ctx, 200, w =>
        {
            w.WriteStartObject();
            w.WriteString("object", "attention");
            w.WriteNumber("layer", _served.Model.Config.Layers - 1);
            w.WriteNumber("position", tokens.Count - 1);
            w.WriteStartArray("tokens");
            foreach (int t in tokens)
            {
                w.WriteStartObject();
                w.WriteNumber("id", t);
                w.WriteString("text", _served.Tokenizer.Decode([t]));
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteStartArray("heads");
            foreach (var h in heads)
            {
                w.WriteStartArray();
                foreach (float x in h) w.WriteNumberValue(x);
                w.WriteEndArray();
            }
            w.WriteEndArray();
            w.WriteStartArray("mean");
            for (int j = 0; j < tokens.Count; j++) w.WriteNumberValue(heads.Average(h => h[j]));
            w.WriteEndArray();
            w.WriteEndObject();
        }).ConfigureAwait(false);
    }

    private static readonly Lazy<byte[]> PageBytes = new(() =>
    {
        using var s = Assembly.GetExecutingAssembly().GetManifestResourceStream("Dlm.Serve.Page.index.html")
            ?? throw new InvalidOperationException("the chat page is missing from the assembly");
        using var m = new MemoryStream();
        s.CopyTo(m);
        return m.ToArray();
    });

    private static async Task Page(HttpContext ctx)
    {
        var bytes = PageBytes.Value;
        ctx.Response.ContentType = "text/html; charset=utf-8";
        ctx.Response.Headers.CacheControl = "no-cache";
        ctx.Response.Headers["Content-Security-Policy"] = "default-src 'self'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'";
        ctx.Response.ContentLength = bytes.Length;
        await ctx.Response.Body.WriteAsync(bytes, ctx.RequestAborted).ConfigureAwait(false);
    }

    /// <summary>Stops listening and the engine.</summary>
    public async ValueTask DisposeAsync()
    {
        try
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            await _app.StopAsync(cts.Token).ConfigureAwait(false);
        }
        catch (InvalidOperationException)
        {
            // Never started.
        }
        await _app.DisposeAsync().ConfigureAwait(false);
        Engine.Dispose();
    }
}
