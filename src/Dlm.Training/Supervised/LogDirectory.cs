using Dlm.Core;

namespace Dlm.Training.Supervised;

/// <summary>What the run does with its log directory.</summary>
public enum LogDirDecision
{
    /// <summary>Start in an empty (or new) folder.</summary>
    Fresh,
    /// <summary>Continue from the folder's checkpoints.</summary>
    Resume,
    /// <summary>The user chose to stop.</summary>
    Exit,
}

/// <summary>tinker-cookbook <c>cli_utils.check_log_dir</c>: what to do when the log directory exists.</summary>
public static class LogDirectory
{
    /// <summary>
    /// Applies <paramref name="behavior"/> to an existing <paramref name="path"/>. <c>ask</c> prompts on
    /// <paramref name="output"/> and reads <paramref name="input"/> until delete, resume or exit; with no
    /// terminal (<paramref name="interactive"/> false) it refuses, naming the other choices.
    /// </summary>
    public static LogDirDecision Check(string path, LogDirBehavior behavior, bool interactive, TextReader input, TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(output);
        if (!Directory.Exists(path)) return LogDirDecision.Fresh;
        switch (behavior)
        {
            case LogDirBehavior.Delete:
                output.WriteLine($"Log directory {path} already exists. Will delete it.");
                Delete(path);
                return LogDirDecision.Fresh;
            case LogDirBehavior.Resume:
                return LogDirDecision.Resume;
            case LogDirBehavior.Raise:
                throw new DlmException($"Log directory {path} already exists. Will not delete it.");
        }
        if (!interactive)
            throw new UsageException($"Log directory {path} already exists and there is no terminal to ask what to do: " +
                "pass behavior_if_log_dir_exists=delete, resume or raise");
        while (true)
        {
            output.Write($"Log directory {path} already exists. What do you want to do? [delete, resume, exit]: ");
            output.Flush();
            var answer = input.ReadLine();
            if (answer is null) throw new UsageException($"Log directory {path} already exists and no answer came: pass behavior_if_log_dir_exists=delete, resume or raise");
            switch (answer.Trim())
            {
                case "delete":
                    Delete(path);
                    return LogDirDecision.Fresh;
                case "resume":
                    return LogDirDecision.Resume;
                case "exit":
                    return LogDirDecision.Exit;
            }
        }
    }

    private static void Delete(string path)
    {
        try
        {
            Directory.Delete(path, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new DlmException($"cannot delete {path}: {e.Message}", e);
        }
    }
}
