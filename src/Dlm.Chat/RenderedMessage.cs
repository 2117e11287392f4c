namespace Dlm.Chat;

/// <summary>
/// The parts of one rendered message, kept apart so the loss can be masked per part.
/// </summary>
/// <param name="Prefix">The header (role marker); trained only under <see cref="TrainOnWhat.AllTokens"/>.</param>
/// <param name="Content">The body, usually ending with the end-of-turn token.</param>
/// <param name="Suffix">Added only after the last message of a supervised example, weighted like its content.</param>
public sealed record RenderedMessage(EncodedTextChunk? Prefix, IReadOnlyList<EncodedTextChunk> Content, EncodedTextChunk? Suffix = null);
