namespace Dlm.Data.Sources;

/// <summary>Which split a record belongs to, when its source decides (a validation file, a seeded file split).</summary>
public enum RecordSplit
{
    /// <summary>The cache decides: pretrain by "val tokens first", SFT by the seeded permutation.</summary>
    Any,
    /// <summary>Training.</summary>
    Train,
    /// <summary>Validation.</summary>
    Val,
}

/// <summary>One pretraining document as a source yields it.</summary>
/// <param name="Text">The text, tokenized as is.</param>
/// <param name="Location">Where it came from (<c>file:line</c>, <c>file:row N</c>, or a file), for messages.</param>
/// <param name="Split">The split its source assigned, if any.</param>
public readonly record struct TextDocument(string Text, string Location, RecordSplit Split = RecordSplit.Any);

/// <summary>One SFT conversation as a source yields it.</summary>
/// <param name="Messages">The turns, in order.</param>
/// <param name="Location">Where it came from, for messages.</param>
/// <param name="Split">The split its source assigned, if any.</param>
public sealed record Conversation(IReadOnlyList<Dlm.Chat.Message> Messages, string Location, RecordSplit Split = RecordSplit.Any);

/// <summary>A record a source could not use: reported with its place and counted in the summary, never dropped silently.</summary>
/// <param name="Location">File and line, or file and row.</param>
/// <param name="Reason">What is wrong with it.</param>
public sealed record MalformedRecord(string Location, string Reason)
{
    /// <inheritdoc/>
    public override string ToString() => $"{Location}: {Reason}";
}
