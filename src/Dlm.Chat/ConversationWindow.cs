namespace Dlm.Chat;

/// <summary>What <see cref="ConversationWindow.Fit"/> kept.</summary>
/// <param name="Messages">The messages that fit, in order (leading system messages always kept).</param>
/// <param name="Prompt">Their generation prompt.</param>
/// <param name="Dropped">How many of the oldest other messages were left out.</param>
public sealed record FittedConversation(IReadOnlyList<Message> Messages, ModelInput Prompt, int Dropped);

/// <summary>
/// Keeps a chat history within the model's context: the oldest turns (after the leading system
/// messages) are dropped, a user turn and the replies after it together, until the generation
/// prompt leaves room for the reply.
/// </summary>
public static class ConversationWindow
{
    /// <summary>
    /// The longest suffix of <paramref name="messages"/> whose generation prompt is at most
    /// <paramref name="maxPromptTokens"/> tokens; null when even the last user turn alone does not fit.
    /// </summary>
    public static FittedConversation? Fit(IRenderer renderer, IReadOnlyList<Message> messages, int maxPromptTokens)
    {
        ArgumentNullException.ThrowIfNull(renderer);
        ArgumentNullException.ThrowIfNull(messages);
        int system = 0;
        while (system < messages.Count && messages[system].Role == Roles.System) system++;
        int start = system;
        while (true)
        {
            var kept = messages.Take(system).Concat(messages.Skip(start)).ToList();
            var prompt = renderer.BuildGenerationPrompt(kept);
            if (prompt.Length <= maxPromptTokens) return new FittedConversation(kept, prompt, start - system);
            // Drop through the next user turn's replies: the window starts at a user message again.
            int next = start + 1;
            while (next < messages.Count && messages[next].Role != Roles.User) next++;
            if (next >= messages.Count) return null;
            start = next;
        }
    }
}
