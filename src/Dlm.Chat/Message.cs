namespace Dlm.Chat;

/// <summary>
/// One turn of a conversation (tinker-cookbook <c>Message</c>): a role and its text, plus the
/// optional fields a dataset may carry.
/// </summary>
/// <param name="Role">Who speaks: <see cref="Roles"/> (any string is accepted; renderers decide what they support).</param>
/// <param name="Content">The text of the turn.</param>
public sealed record Message(string Role, string Content)
{
    /// <summary>Reasoning produced before the answer, when a dataset keeps it apart from the content.</summary>
    public string? Thinking { get; init; }

    /// <summary>Tool calls the assistant made in this turn (null when there are none).</summary>
    public IReadOnlyList<ToolCall>? ToolCalls { get; init; }

    /// <summary>
    /// Whether the loss applies to this message; required on every message under
    /// <see cref="TrainOnWhat.Customized"/> and refused under every other mode.
    /// </summary>
    public bool? Trainable { get; init; }

    /// <summary>For a tool message: the id of the call it answers.</summary>
    public string? ToolCallId { get; init; }

    /// <summary>An optional speaker name.</summary>
    public string? Name { get; init; }

    /// <summary>A system message.</summary>
    public static Message System(string content) => new(Roles.System, content);

    /// <summary>A user message.</summary>
    public static Message User(string content) => new(Roles.User, content);

    /// <summary>An assistant message.</summary>
    public static Message Assistant(string content) => new(Roles.Assistant, content);

    /// <summary>Records compare their lists by reference; messages compare tool calls by value.</summary>
    public bool Equals(Message? other) =>
        other is not null && Role == other.Role && Content == other.Content && Thinking == other.Thinking
        && Trainable == other.Trainable && ToolCallId == other.ToolCallId && Name == other.Name
        && (ToolCalls ?? []).SequenceEqual(other.ToolCalls ?? []);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(Role, Content, Thinking, Trainable, ToolCalls?.Count ?? 0);
}
