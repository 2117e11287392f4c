namespace Dlm.Chat;

/// <summary>
/// Which tokens of a supervised example carry loss (REFERENCE.md R3). Written and read as the
/// exact tinker-cookbook string values (<see cref="TrainOnWhatNames"/>).
/// </summary>
public enum TrainOnWhat
{
    /// <summary><c>last_assistant_message</c>: the content of the last message, if it is an assistant's.</summary>
    LastAssistantMessage,

    /// <summary><c>all_assistant_messages</c>: the content of every assistant message.</summary>
    AllAssistantMessages,

    /// <summary><c>all_messages</c>: the content of every message (headers excluded).</summary>
    AllMessages,

    /// <summary><c>all_tokens</c>: every token but the BOS, headers included.</summary>
    AllTokens,

    /// <summary><c>all_user_and_system_messages</c>: the content of user and system messages.</summary>
    AllUserAndSystemMessages,

    /// <summary><c>customized</c>: each message's <see cref="Message.Trainable"/> flag.</summary>
    Customized,

    /// <summary><c>last_assistant_turn</c>: the assistant messages after the last user message.</summary>
    LastAssistantTurn,
}
