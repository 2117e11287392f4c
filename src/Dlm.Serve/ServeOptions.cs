namespace Dlm.Serve;

/// <summary>How <see cref="DlmServer"/> listens and what it accepts. The defaults are the safe ones.</summary>
public sealed record ServeOptions
{
    /// <summary>The address to bind: loopback unless the user says otherwise.</summary>
    public string Host { get; init; } = "127.0.0.1";

    /// <summary>The TCP port (0: an ephemeral one, see <see cref="DlmServer.BaseAddress"/>).</summary>
    public int Port { get; init; } = 8000;

    /// <summary>When set, every route but <c>/health</c> and the static page needs <c>Authorization: Bearer KEY</c>.</summary>
    public string? ApiKey { get; init; }

    /// <summary>Largest request body in bytes (413 above it).</summary>
    public long MaxBodyBytes { get; init; } = 1 << 20;

    /// <summary>Largest <c>max_tokens</c> a request may ask for (400 above it).</summary>
    public int MaxTokens { get; init; } = 2048;

    /// <summary>Longest prompt in tokens (400 above it); also bounded by the context.</summary>
    public int MaxPromptTokens { get; init; } = 4096;

    /// <summary>Sequences decoded together (a request of n samples takes n slots).</summary>
    public int Slots { get; init; } = 16;

    /// <summary>Tokens per sequence, prompt included; null: the model's context, at most 4096 (bounds the KV cache).</summary>
    public int? Context { get; init; }

    /// <summary>Requests waiting for a slot at most (429 above it).</summary>
    public int MaxQueued { get; init; } = 256;

    /// <summary>The model id reported by <c>/v1/models</c> and in responses (null: the folder's name).</summary>
    public string? ModelId { get; init; }

    /// <summary>The chat renderer (null: the one the tokenizer implies).</summary>
    public string? Renderer { get; init; }
}
