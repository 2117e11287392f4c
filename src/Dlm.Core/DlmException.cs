namespace Dlm.Core;

/// <summary>
/// An error the user can cause and fix: a bad file, a missing path, an invalid value.
/// The CLI prints <see cref="Exception.Message"/> as one line on stderr and exits with code 1.
/// Every library throws a subclass of this for user-facing failures; anything else is a bug.
/// </summary>
public class DlmException : Exception
{
    /// <summary>Creates an error with a one-line message.</summary>
    public DlmException(string message) : base(message) { }

    /// <summary>Creates an error with a one-line message and the exception that caused it.</summary>
    public DlmException(string message, Exception inner) : base(message, inner) { }

    /// <summary>Creates an error for a location in a file, formatted <c>path:line:col: message</c>.</summary>
    /// <param name="location">Where the problem is.</param>
    /// <param name="message">What is wrong there.</param>
    public DlmException(SourceLocation location, string message) : base($"{location}: {message}")
    {
        Location = location;
    }

    /// <summary>The file location the error refers to, when one is known.</summary>
    public SourceLocation? Location { get; }
}

/// <summary>Wrong use of a command: a missing or conflicting option. The CLI exits with code 2.</summary>
public class UsageException : DlmException
{
    /// <summary>Creates a usage error with a one-line message.</summary>
    public UsageException(string message) : base(message) { }
}

/// <summary>A place in a file: a path, optionally a 1-based line and column.</summary>
/// <param name="Path">The file path as the user gave it.</param>
/// <param name="Line">1-based line, or null when unknown.</param>
/// <param name="Column">1-based column, or null when unknown.</param>
public readonly record struct SourceLocation(string Path, int? Line = null, int? Column = null)
{
    /// <summary>Formats as <c>path:line:col</c>, <c>path:line</c> or <c>path</c>, as much as is known.</summary>
    public override string ToString() =>
        Line is null ? Path
        : Column is null ? $"{Path}:{Line}"
        : $"{Path}:{Line}:{Column}";
}
