using System.Text.Json;
using Dlm.Chat;
using Dlm.Models.Generation;

namespace Dlm.Serve.Api;

/// <summary>
/// Reads the body of <c>/v1/chat/completions</c> and <c>/v1/completions</c> into a
/// <see cref="GenerationSpec"/>, refusing with a 400 that names the field: wrong types, values out
/// of range, unknown roles, fields dlm does not implement, prompts and max_tokens over the limits.
/// </summary>
internal sealed class RequestParser(ServedModel served, ServeOptions options, int capacity, int slots)
{
    private static readonly string[] SamplingFields =
        ["model", "temperature", "top_p", "max_tokens", "n", "stop", "seed", "stream", "stream_options", "logprobs", "user",
         "frequency_penalty", "presence_penalty", "top_k", "min_p", "repetition_penalty", "return_token_ids"];

    private static readonly string[] ChatFields = [.. SamplingFields, "messages", "max_completion_tokens", "top_logprobs"];
    private static readonly string[] CompletionFields = [.. SamplingFields, "prompt", "echo", "best_of"];

    /// <summary>The most prompt tokens a request may carry.</summary>
    public int MaxPromptTokens => Math.Min(options.MaxPromptTokens, capacity - 1);

    public GenerationSpec Chat(JsonElement body)
    {
        var f = new JsonFields(body, "");
        f.OnlyKnown(ChatFields);
        var messages = Messages(f);
        var prompt = Render(messages);
        var stops = served.Renderer.GetStopSequences();
        bool logprobs = f.Bool("logprobs") ?? false;
        int top = (int)(f.Integer("top_logprobs", 0, 20) ?? 0);
        if (top > 0 && !logprobs) throw ApiException.Field("top_logprobs", "needs logprobs: true");
        long? max = f.Integer("max_completion_tokens", 1, options.MaxTokens) ?? MaxTokens(f);
        return Spec(f, chat: true, prompt, max, stops.Tokens ?? [], stops.Strings ?? [], logprobs, top);
    }

    public GenerationSpec Completion(JsonElement body)
    {
        var f = new JsonFields(body, "");
        f.OnlyKnown(CompletionFields);
        if (f.Bool("echo") == true) throw ApiException.Field("echo", "only false is supported by dlm serve");
        f.Integer("best_of", 1, 1);
        var prompt = CompletionPrompt(f);
        int top = (int)(f.Integer("logprobs", 0, 5) ?? -1);
        return Spec(f, chat: false, prompt, MaxTokens(f) ?? 16, [], [], top >= 0, Math.Max(0, top));
    }

    private long? MaxTokens(JsonFields f) => f.Integer("max_tokens", 1, options.MaxTokens);

    private GenerationSpec Spec(JsonFields f, bool chat, int[] prompt, long? maxTokens, IReadOnlyList<int> stopTokens,
        IReadOnlyList<string> rendererStops, bool logprobs, int top)
    {
        if (f.String("model") is { } model && model != served.Id)
            throw new ApiException(404, $"The model '{model}' does not exist; this server serves '{served.Id}'", "model", code: "model_not_found");
        f.String("user");
        f.OnlyDefault("frequency_penalty", 0);
        f.OnlyDefault("presence_penalty", 0);
        bool stream = f.Bool("stream") ?? false;
        bool usage = false;
        if (f.Get("stream_options") is { } so)
        {
            if (!stream) throw ApiException.Field("stream_options", "only allowed with stream: true");
            var o = new JsonFields(so, "stream_options");
            o.OnlyKnown("include_usage");
            usage = o.Bool("include_usage") ?? false;
        }
        var userStops = f.Stops("stop");
        int room = capacity - prompt.Length;
        var p = new SamplingParams
        {
            Temperature = (float)(f.Number("temperature", 0, 2) ?? 1),
            TopP = (float)(f.Number("top_p", 1e-9, 1) ?? 1),
            TopK = (int)(f.Integer("top_k", -1, int.MaxValue) ?? -1),
            MinP = (float)(f.Number("min_p", 0, 1) ?? 0),
            RepetitionPenalty = (float)(f.Number("repetition_penalty", 1e-6, 100) ?? 1),
            MaxTokens = (int)Math.Min(maxTokens ?? room, room),
            Seed = f.Integer("seed", long.MinValue, long.MaxValue),
            StopTokens = stopTokens,
            StopStrings = [.. rendererStops, .. userStops],
        };
        return new GenerationSpec
        {
            Chat = chat,
            Prompt = prompt,
            N = (int)(f.Integer("n", 1, slots) ?? 1),
            Params = p,
            StopStrings = p.StopStrings,
            Stream = stream,
            IncludeUsage = usage,
            Logprobs = logprobs,
            TopLogprobs = top,
            ReturnTokenIds = f.Bool("return_token_ids") ?? false,
        };
    }

    private static List<Message> Messages(JsonFields f)
    {
        if (f.Get("messages") is not { } m) throw ApiException.Field("messages", "is required");
        if (m.ValueKind != JsonValueKind.Array) throw ApiException.Field("messages", $"expected an array, got {JsonFields.Kind(m)}");
        var list = new List<Message>();
        int i = 0;
        foreach (var e in m.EnumerateArray())
        {
            string at = $"messages[{i}]";
            var o = new JsonFields(e, at);
            o.OnlyKnown("role", "content", "name");
            var role = o.String("role") ?? throw ApiException.Field(o.Name("role"), "is required");
            role = role switch
            {
                "system" or "developer" => Roles.System,
                "user" => Roles.User,
                "assistant" => Roles.Assistant,
                _ => throw ApiException.Field(o.Name("role"), $"unknown role '{role}': expected system, developer, user or assistant"),
            };
            list.Add(new Message(role, Content(o)) { Name = o.String("name") });
            i++;
        }
        if (list.Count == 0) throw ApiException.Field("messages", "must hold at least one message");
        return list;
    }

    // A message's content: a string, or an array of text parts.
    private static string Content(JsonFields o)
    {
        if (o.Get("content") is not { } c) throw ApiException.Field(o.Name("content"), "is required");
        if (c.ValueKind == JsonValueKind.String) return c.GetString()!;
        if (c.ValueKind != JsonValueKind.Array) throw ApiException.Field(o.Name("content"), $"expected a string or an array of text parts, got {JsonFields.Kind(c)}");
        var text = new System.Text.StringBuilder();
        int j = 0;
        foreach (var part in c.EnumerateArray())
        {
            var p = new JsonFields(part, $"{o.Name("content")}[{j}]");
            p.OnlyKnown("type", "text");
            if (p.String("type") != "text") throw ApiException.Field(p.Name("type"), "only text parts are supported");
            text.Append(p.String("text") ?? throw ApiException.Field(p.Name("text"), "is required"));
            j++;
        }
        return text.ToString();
    }

    private int[] Render(List<Message> messages)
    {
        int[] prompt;
        try
        {
            prompt = served.Renderer.BuildGenerationPrompt(messages).ToInts();
        }
        catch (Dlm.Core.DlmException e)
        {
            throw ApiException.Field("messages", e.Message);
        }
        return CheckLength(prompt, "messages");
    }

    private int[] CompletionPrompt(JsonFields f)
    {
        if (f.Get("prompt") is not { } p) throw ApiException.Field("prompt", "is required");
        int[] tokens;
        if (p.ValueKind == JsonValueKind.String)
        {
            string text = p.GetString()!;
            // A prompt far longer than the limit is refused before it is tokenized (a token is at least one char... or byte).
            if (text.Length > 64L * MaxPromptTokens) throw TooLong(text.Length, "prompt", "characters");
            tokens = served.Tokenizer.Encode(text, addSpecialTokens: true);
        }
        else if (p.ValueKind == JsonValueKind.Array)
        {
            var list = new List<int>();
            int i = 0;
            foreach (var e in p.EnumerateArray())
            {
                if (e.ValueKind != JsonValueKind.Number || !e.TryGetInt32(out int id))
                    throw ApiException.Field($"prompt[{i}]", $"expected a token id (an integer), got {JsonFields.Kind(e)}; a batch of prompts is not supported, send one request per prompt");
                if ((uint)id >= (uint)served.Model.Config.VocabSize) throw ApiException.Field($"prompt[{i}]", $"token id {id} is outside the vocabulary (size {served.Model.Config.VocabSize})");
                list.Add(id);
                i++;
            }
            tokens = [.. list];
        }
        else throw ApiException.Field("prompt", $"expected a string or an array of token ids, got {JsonFields.Kind(p)}");
        if (tokens.Length == 0) throw ApiException.Field("prompt", "must not be empty");
        return CheckLength(tokens, "prompt");
    }

    private int[] CheckLength(int[] prompt, string field) =>
        prompt.Length > MaxPromptTokens ? throw TooLong(prompt.Length, field, "tokens") : prompt;

    private ApiException TooLong(long length, string field, string unit) =>
        new(400, $"{field}: the prompt of {length} {unit} is longer than the limit of {MaxPromptTokens} tokens (the context holds {capacity})",
            field, code: "context_length_exceeded");
}
