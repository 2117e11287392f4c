using System.Runtime.CompilerServices;

namespace Dlm.Training.Supervised;

/// <summary>
/// <c>logs.log</c>: one line per message, <c>name:line [LEVEL] message</c> as Python's logging
/// formats it (name = the source file the message came from, line = its line there). Lines are
/// flushed as written, so a killed run keeps them.
/// </summary>
public sealed class TrainLog : IDisposable
{
    /// <summary>The file name.</summary>
    public const string FileName = "logs.log";

    private readonly StreamWriter _writer;
    private readonly Action<string>? _echo;

    /// <summary>Appends to <c>logs.log</c> in <paramref name="logPath"/>; <paramref name="echo"/> also gets each message.</summary>
    public TrainLog(string logPath, Action<string>? echo = null)
    {
        _writer = new StreamWriter(new FileStream(Path.Combine(logPath, FileName), FileMode.Append, FileAccess.Write, FileShare.Read)) { AutoFlush = true };
        _echo = echo;
    }

    /// <summary>Writes an INFO line.</summary>
    public void Info(string message, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0) => Write("INFO", message, file, line);

    /// <summary>Writes a WARNING line.</summary>
    public void Warning(string message, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0) => Write("WARNING", message, file, line);

    private void Write(string level, string message, string file, int line)
    {
        var name = Path.GetFileNameWithoutExtension(file.Replace('\\', '/').Split('/')[^1]);
        foreach (var part in message.Split('\n'))
            _writer.WriteLine($"{name}:{line} [{level}] {part}");
        _echo?.Invoke(message);
    }

    /// <inheritdoc/>
    public void Dispose() => _writer.Dispose();
}
