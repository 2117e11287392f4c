using Dlm.Core;

namespace Dlm.Chat;

/// <summary>
/// The string values of <see cref="TrainOnWhat"/>: printed by value (<c>all_assistant_messages</c>),
/// parsed by value or by enum name (<c>ALL_ASSISTANT_MESSAGES</c>, <c>AllAssistantMessages</c>),
/// as chz does with enums.
/// </summary>
public static class TrainOnWhatNames
{
    private static readonly (TrainOnWhat Mode, string Value, string PythonName)[] Table =
    [
        (TrainOnWhat.LastAssistantMessage, "last_assistant_message", "LAST_ASSISTANT_MESSAGE"),
        (TrainOnWhat.AllAssistantMessages, "all_assistant_messages", "ALL_ASSISTANT_MESSAGES"),
        (TrainOnWhat.AllMessages, "all_messages", "ALL_MESSAGES"),
        (TrainOnWhat.AllTokens, "all_tokens", "ALL_TOKENS"),
        (TrainOnWhat.AllUserAndSystemMessages, "all_user_and_system_messages", "ALL_USER_AND_SYSTEM_MESSAGES"),
        (TrainOnWhat.Customized, "customized", "CUSTOMIZED"),
        (TrainOnWhat.LastAssistantTurn, "last_assistant_turn", "LAST_ASSISTANT_TURN"),
    ];

    /// <summary>Every string value, in declaration order.</summary>
    public static IReadOnlyList<string> Values { get; } = Table.Select(t => t.Value).ToArray();

    /// <summary>The tinker-cookbook string value of a mode.</summary>
    public static string ToValue(this TrainOnWhat mode)
    {
        foreach (var t in Table) if (t.Mode == mode) return t.Value;
        throw new ArgumentOutOfRangeException(nameof(mode), mode, "unknown TrainOnWhat");
    }

    /// <summary>Parses a value or a name; returns false for anything else.</summary>
    public static bool TryParse(string? text, out TrainOnWhat mode)
    {
        foreach (var t in Table)
            if (text == t.Value || text == t.PythonName || text == t.Mode.ToString())
            {
                mode = t.Mode;
                return true;
            }
        mode = default;
        return false;
    }

    /// <summary>Parses a value or a name; an unknown text is a user error listing the values.</summary>
    public static TrainOnWhat Parse(string text) =>
        TryParse(text, out var mode)
            ? mode
            : throw new DlmException($"unknown train_on_what '{text}': expected one of {string.Join(", ", Values)}");
}
