namespace Dlm.Documents.Format;

/// <summary>The kinds of body section (the fence names).</summary>
public enum SectionType
{
    /// <summary>Text trained on every token (the default before any fence, or after <c>::prose::</c>).</summary>
    Prose,

    /// <summary><c>### Q</c> / <c>### A</c> pairs.</summary>
    Instruction,

    /// <summary><c>### Prompt</c> / <c>### Chosen</c> / <c>### Rejected</c> triples.</summary>
    Preference,

    /// <summary><c>::image path="..." alt="..."::</c>, an optional caption as content.</summary>
    Image,

    /// <summary><c>::audio path="..." transcript="..."::</c>.</summary>
    Audio,
}

/// <summary>The lower-case fence names of <see cref="SectionType"/>.</summary>
public static class SectionTypes
{
    /// <summary>Every type, in upstream's order (the order error messages list them in).</summary>
    public static readonly IReadOnlyList<SectionType> All =
        [SectionType.Prose, SectionType.Instruction, SectionType.Preference, SectionType.Image, SectionType.Audio];

    /// <summary>The fence name: <c>prose</c>, <c>instruction</c>, ...</summary>
    public static string Name(this SectionType type) => type switch
    {
        SectionType.Prose => "prose",
        SectionType.Instruction => "instruction",
        SectionType.Preference => "preference",
        SectionType.Image => "image",
        SectionType.Audio => "audio",
        _ => throw new ArgumentOutOfRangeException(nameof(type)),
    };

    /// <summary>The type for a fence name, or null.</summary>
    public static SectionType? Parse(string name) => All.Cast<SectionType?>().FirstOrDefault(t => t!.Value.Name() == name);
}

/// <summary>One question and its answer, both stripped.</summary>
/// <param name="Question">The text under <c>### Q</c>.</param>
/// <param name="Answer">The text under <c>### A</c>.</param>
public sealed record QaPair(string Question, string Answer);

/// <summary>One preference triple, each part stripped.</summary>
/// <param name="Prompt">The text under <c>### Prompt</c>.</param>
/// <param name="Chosen">The text under <c>### Chosen</c>.</param>
/// <param name="Rejected">The text under <c>### Rejected</c>.</param>
public sealed record PreferenceTriple(string Prompt, string Chosen, string Rejected);

/// <summary>
/// A provenance comment that upstream's tools write as a fenced section's first line
/// (<c>&lt;!-- dlm-auto-harvest: ... --&gt;</c>, <c>dlm-auto-synth</c>, <c>dlm-auto-mined</c>).
/// It is lifted out of the content before hashing, as upstream does, so ids match.
/// </summary>
/// <param name="Kind"><c>harvest</c>, <c>synth</c> or <c>mined</c>.</param>
/// <param name="Line">The marker line exactly as written.</param>
/// <param name="Attributes">Its <c>key="value"</c> attributes.</param>
public sealed record SectionMarker(string Kind, string Line, IReadOnlyDictionary<string, string> Attributes);

/// <summary>
/// A body section: its type, its raw content (the lines between its fence and the next one,
/// joined by <c>\n</c>, not trimmed), where it starts, and its adapter routing.
/// </summary>
/// <param name="Type">The section type.</param>
/// <param name="Content">Raw content, fence and marker lines excluded, untrimmed.</param>
/// <param name="StartLine">1-based file line of the fence (or of the first body line for leading prose).</param>
/// <param name="Adapter">The <c>#name</c> fence suffix, or null.</param>
/// <param name="Fence">The fence line as written, or null for leading prose without one.</param>
public sealed record Section(SectionType Type, string Content, int StartLine, string? Adapter, string? Fence)
{
    /// <summary>Fence attributes (<c>path</c>, <c>alt</c>, <c>transcript</c>) of image and audio sections; empty otherwise.</summary>
    public IReadOnlyDictionary<string, string> Attributes { get; init; } = new Dictionary<string, string>();

    /// <summary>The lifted provenance marker, if the section has one.</summary>
    public SectionMarker? Marker { get; init; }

    /// <summary>The Q/A pairs of an instruction section (checked at parse time); empty for other types.</summary>
    public IReadOnlyList<QaPair> Pairs { get; init; } = [];

    /// <summary>The triples of a preference section (checked at parse time); empty for other types.</summary>
    public IReadOnlyList<PreferenceTriple> Triples { get; init; } = [];

    /// <summary>The media path of an image or audio section, or null.</summary>
    public string? MediaPath => Attributes.GetValueOrDefault("path");

    /// <summary>The stable id: first 16 hex digits of sha256(type + "\n" + content), or of the media path for image/audio.</summary>
    public string Id => SectionId.Compute(Type, Type is SectionType.Image or SectionType.Audio ? MediaPath ?? "" : Content);
}
