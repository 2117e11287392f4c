namespace Dlm.Hub;

/// <summary>
/// How to reach the hub and where its cache is. <see cref="FromEnvironment"/> reads the variables
/// huggingface_hub reads, so a cache filled by Python tools is the one dlm uses.
/// </summary>
public sealed record HubOptions
{
    /// <summary>The hub's base URL, no trailing slash (<c>HF_ENDPOINT</c>, default https://huggingface.co).</summary>
    public string Endpoint { get; init; } = DefaultEndpoint;

    /// <summary>A user access token sent as <c>Authorization: Bearer</c> (<c>HF_TOKEN</c>); null for none.</summary>
    public string? Token { get; init; }

    /// <summary>The hub cache folder holding <c>models--org--name</c> folders.</summary>
    public string CacheDir { get; init; } = DefaultCacheDir();

    /// <summary>Use the cache only, never the network (<c>HF_HUB_OFFLINE=1</c> or <c>--offline</c>).</summary>
    public bool Offline { get; init; }

    /// <summary>How many files download at once.</summary>
    public int MaxParallelFiles { get; init; } = 4;

    /// <summary>How many times one file's transfer is retried (resuming with a Range request) after a broken connection.</summary>
    public int MaxAttempts { get; init; } = 5;

    /// <summary>The public hub.</summary>
    public const string DefaultEndpoint = "https://huggingface.co";

    /// <summary>Options from <c>HF_ENDPOINT</c>, <c>HF_TOKEN</c>, <c>HF_HUB_CACHE</c>/<c>HF_HOME</c>/<c>XDG_CACHE_HOME</c> and <c>HF_HUB_OFFLINE</c>.</summary>
    public static HubOptions FromEnvironment()
    {
        var endpoint = Env("HF_ENDPOINT") ?? DefaultEndpoint;
        return new HubOptions
        {
            Endpoint = endpoint.TrimEnd('/'),
            Token = Env("HF_TOKEN"),
            CacheDir = DefaultCacheDir(),
            Offline = IsTrue(Env("HF_HUB_OFFLINE")),
        };
    }

    /// <summary>
    /// The cache folder as huggingface_hub picks it: <c>$HF_HUB_CACHE</c>, else <c>$HF_HOME/hub</c>,
    /// else <c>$XDG_CACHE_HOME/huggingface/hub</c>, else <c>~/.cache/huggingface/hub</c>.
    /// </summary>
    public static string DefaultCacheDir()
    {
        if (Env("HF_HUB_CACHE") is { } hubCache) return Path.GetFullPath(hubCache);
        if (Env("HF_HOME") is { } home) return Path.GetFullPath(Path.Combine(home, "hub"));
        var xdg = Env("XDG_CACHE_HOME")
            ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache");
        return Path.GetFullPath(Path.Combine(xdg, "huggingface", "hub"));
    }

    // huggingface_hub's truthy values for boolean environment variables.
    private static bool IsTrue(string? v) =>
        v is not null && (v.Equals("1", StringComparison.Ordinal) || v.Equals("on", StringComparison.OrdinalIgnoreCase)
            || v.Equals("yes", StringComparison.OrdinalIgnoreCase) || v.Equals("true", StringComparison.OrdinalIgnoreCase));

    private static string? Env(string name) =>
        Environment.GetEnvironmentVariable(name) is { Length: > 0 } v ? v : null;
}
