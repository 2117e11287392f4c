using System.Globalization;
using Dlm.Core;

namespace Dlm.Training.FromScratch;

/// <summary>
/// The <c>checkpoints/</c> folder of a stage: <c>latest</c>, <c>best</c> and <c>step_NNNNNNN</c>, each a
/// Hugging Face model folder plus the training state. A checkpoint is written into a hidden staging
/// folder and renamed into place, replacing the old one (renamed aside first, deleted after), so a
/// process killed at any moment leaves either the old or the new checkpoint complete, never a mix.
/// </summary>
public static class CheckpointFolders
{
    /// <summary>The last state of the run (what a rerun resumes from).</summary>
    public const string Latest = "latest";

    /// <summary>The state with the lowest validation loss.</summary>
    public const string Best = "best";

    /// <summary>The folder <c>step_NNNNNNN</c> of a step (seven digits, as niels-gpt names them).</summary>
    public static string StepName(int step) => "step_" + step.ToString("D7", CultureInfo.InvariantCulture);

    /// <summary>
    /// Writes checkpoint <paramref name="name"/> under <paramref name="root"/>: <paramref name="write"/> fills a
    /// staging folder, which then replaces <c>root/name</c>. Returns the final path.
    /// </summary>
    public static string Write(string root, string name, Action<string> write)
    {
        ArgumentNullException.ThrowIfNull(write);
        Directory.CreateDirectory(root);
        var final = Path.Combine(root, name);
        var staging = Path.Combine(root, $".staging-{name}-{Environment.ProcessId}");
        if (Directory.Exists(staging)) Directory.Delete(staging, recursive: true);
        Directory.CreateDirectory(staging);
        try
        {
            write(staging);
        }
        catch
        {
            TryDelete(staging);
            throw;
        }
        var old = Path.Combine(root, $".old-{name}");
        if (Directory.Exists(old)) Directory.Delete(old, recursive: true);
        if (Directory.Exists(final)) Directory.Move(final, old);
        Directory.Move(staging, final);
        TryDelete(old);
        return final;
    }

    /// <summary>
    /// The folder of checkpoint <paramref name="name"/>, or null. A kill between the two renames of
    /// <see cref="Write"/> leaves only <c>.old-NAME</c>: that complete older checkpoint is put back.
    /// </summary>
    public static string? Find(string root, string name)
    {
        var final = Path.Combine(root, name);
        if (Directory.Exists(final)) return final;
        var old = Path.Combine(root, $".old-{name}");
        if (!Directory.Exists(old)) return null;
        Directory.Move(old, final);
        return final;
    }

    /// <summary>Copies checkpoint <paramref name="from"/> to <paramref name="name"/> (atomically, as <see cref="Write"/>).</summary>
    public static string Copy(string root, string from, string name) =>
        Write(root, name, staging =>
        {
            foreach (var f in Directory.GetFiles(from)) File.Copy(f, Path.Combine(staging, Path.GetFileName(f)));
        });

    /// <summary>Deletes all but the newest <paramref name="keep"/> <c>step_N</c> folders; also stray staging folders of dead runs.</summary>
    public static void Prune(string root, int keep)
    {
        if (!Directory.Exists(root)) return;
        var steps = Directory.GetDirectories(root, "step_*").Order(StringComparer.Ordinal).ToList();
        foreach (var d in steps.Take(Math.Max(0, steps.Count - keep))) TryDelete(d);
        foreach (var d in Directory.GetDirectories(root, ".staging-*"))
            if (!d.EndsWith($"-{Environment.ProcessId}", StringComparison.Ordinal)) TryDelete(d);
    }

    /// <summary>The <c>step_N</c> folders, oldest first.</summary>
    public static IReadOnlyList<string> Steps(string root) =>
        Directory.Exists(root) ? Directory.GetDirectories(root, "step_*").Order(StringComparer.Ordinal).ToArray() : [];

    private static void TryDelete(string dir)
    {
        try
        {
            if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A leftover folder is harmless: it is hidden and pruned by the next run.
        }
    }

    /// <summary>Fails with a user error when a checkpoint folder lacks a file the run needs.</summary>
    public static void Require(string dir, params string[] files)
    {
        foreach (var f in files)
            if (!File.Exists(Path.Combine(dir, f))) throw new DlmException($"{dir}: incomplete checkpoint (no {f}); delete it to start the stage again");
    }
}
