using Spectre.Console;

namespace Dlm.Cli.Output;

/// <summary>When long work draws Spectre.Console bars on stderr, and when it prints plain lines instead.</summary>
internal static class ProgressBars
{
    /// <summary>
    /// True when stderr is a terminal and NO_COLOR is unset. Spectre.Console calls a console interactive
    /// when stdin is a terminal, even with stderr sent to a file, so the redirection is checked here too.
    /// </summary>
    public static bool Enabled(IAnsiConsole err) =>
        !Console.IsErrorRedirected && err.Profile.Capabilities.Interactive && string.IsNullOrEmpty(Environment.GetEnvironmentVariable("NO_COLOR"));
}
