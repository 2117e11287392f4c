namespace Dlm.Chat;

/// <summary>
/// The result of <see cref="IRenderer.ParseResponse"/>: the assistant message read from sampled
/// tokens, and whether it ended properly with the renderer's stop sequence.
/// </summary>
/// <param name="Message">The assistant message (the whole decoded text when <paramref name="Ok"/> is false).</param>
/// <param name="Ok">True when exactly one stop sequence ended the response.</param>
public sealed record ParsedResponse(Message Message, bool Ok);
