namespace Dlm.Serve.Api;

/// <summary>
/// A request the server refuses, answered as OpenAI's error JSON:
/// <c>{"error": {"message", "type", "param", "code"}}</c> with <see cref="Status"/>.
/// </summary>
public sealed class ApiException : Exception
{
    /// <summary>A refusal with <paramref name="status"/>; <paramref name="param"/> names the field at fault.</summary>
    public ApiException(int status, string message, string? param = null, string type = "invalid_request_error", string? code = null) : base(message)
    {
        Status = status;
        Param = param;
        Type = type;
        Code = code;
    }

    /// <summary>An empty refusal (400).</summary>
    public ApiException() : this(400, "bad request") { }

    /// <summary>A 400 refusal.</summary>
    public ApiException(string message) : this(400, message) { }

    /// <summary>A 400 refusal wrapping its cause.</summary>
    public ApiException(string message, Exception innerException) : base(message, innerException)
    {
        Status = 400;
        Type = "invalid_request_error";
    }

    /// <summary>The HTTP status (400, 401, 404, 413, 429, ...).</summary>
    public int Status { get; }

    /// <summary>The request field at fault (<c>messages[1].role</c>), if one is.</summary>
    public string? Param { get; }

    /// <summary>OpenAI's error type (<c>invalid_request_error</c>, <c>authentication_error</c>, ...).</summary>
    public string Type { get; }

    /// <summary>A machine-readable code (<c>context_length_exceeded</c>, ...), if any.</summary>
    public string? Code { get; }

    /// <summary>A 400 naming <paramref name="param"/>.</summary>
    public static ApiException Field(string param, string message) => new(400, $"{param}: {message}", param);
}
