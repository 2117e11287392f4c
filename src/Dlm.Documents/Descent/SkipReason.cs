namespace Dlm.Documents.Descent;

/// <summary>Why the walk did not keep a file; the first that applies, in this order.</summary>
public enum SkipReason
{
    /// <summary>Not included, or excluded (globs, default excludes, training.yaml, ignore files, <c>.dlm/</c>, the document).</summary>
    Excluded,

    /// <summary>Strict policy only: the file's real path lies outside the strict-policy root.</summary>
    OutsideRoot,

    /// <summary>Larger than <c>max_bytes_per_file</c>.</summary>
    OverSize,

    /// <summary>An image suffix (not trained on yet).</summary>
    Image,

    /// <summary>An audio suffix (not trained on yet).</summary>
    Audio,

    /// <summary>A NUL byte in the first 1024 bytes.</summary>
    Binary,

    /// <summary>Not valid UTF-8.</summary>
    Encoding,

    /// <summary><c>max_files</c> files were already kept.</summary>
    MaxFiles,
}

/// <summary>The contract's names of <see cref="SkipReason"/> values.</summary>
public static class SkipReasons
{
    /// <summary>All reasons, in the order they are checked.</summary>
    public static IReadOnlyList<SkipReason> InOrder { get; } = Enum.GetValues<SkipReason>();

    /// <summary>The name in reports and JSON: <c>excluded</c>, <c>outside_root</c>, <c>over_size</c>, ...</summary>
    public static string Name(this SkipReason reason) => reason switch
    {
        SkipReason.Excluded => "excluded",
        SkipReason.OutsideRoot => "outside_root",
        SkipReason.OverSize => "over_size",
        SkipReason.Image => "image",
        SkipReason.Audio => "audio",
        SkipReason.Binary => "binary",
        SkipReason.Encoding => "encoding",
        SkipReason.MaxFiles => "max_files",
        _ => throw new ArgumentOutOfRangeException(nameof(reason)),
    };
}
