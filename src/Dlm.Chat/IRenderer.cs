namespace Dlm.Chat;

/// <summary>
/// Turns conversations into tokens for training and sampling, and sampled tokens back into a
/// message (tinker-cookbook <c>Renderer</c>, REFERENCE.md R3).
/// </summary>
public interface IRenderer
{
    /// <summary>The registry name of this renderer (<c>llama3</c>, <c>qwen3</c>, ...).</summary>
    string Name { get; }

    /// <summary>
    /// The prompt to sample a new turn of <paramref name="role"/> after <paramref name="messages"/>:
    /// BOS, every message's header and content, the header of an empty <paramref name="role"/>
    /// message, then <paramref name="prefill"/> encoded without special tokens.
    /// </summary>
    ModelInput BuildGenerationPrompt(IReadOnlyList<Message> messages, string role = Roles.Assistant, string? prefill = null);

    /// <summary>The tokens of <paramref name="messages"/> with one loss weight per token, set by <paramref name="trainOnWhat"/>.</summary>
    SupervisedExample BuildSupervisedExample(IReadOnlyList<Message> messages, TrainOnWhat trainOnWhat = TrainOnWhat.LastAssistantMessage);

    /// <summary>What ends a sampled turn.</summary>
    StopSequences GetStopSequences();

    /// <summary>
    /// Reads a sampled response: no stop sequence gives (decoded text, false), one gives (text
    /// before it, true), more than one is an error (the sampler ignored the stop sequences).
    /// </summary>
    ParsedResponse ParseResponse(ReadOnlySpan<int> response);
}
