namespace Dlm.Chat;

/// <summary>The message roles renderers know. Roles are plain strings, as in tinker-cookbook.</summary>
public static class Roles
{
    /// <summary>The system prompt.</summary>
    public const string System = "system";

    /// <summary>The human side of the conversation.</summary>
    public const string User = "user";

    /// <summary>The model's side of the conversation.</summary>
    public const string Assistant = "assistant";

    /// <summary>The output of a tool the assistant called.</summary>
    public const string Tool = "tool";
}
