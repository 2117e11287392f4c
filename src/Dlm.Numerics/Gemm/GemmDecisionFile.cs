using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Dlm.Core;

namespace Dlm.Numerics.Gemm;

/// <summary>
/// The per-shape GEMM decisions of this machine, kept on disk so that every process makes the same
/// ones: <see cref="PerShapeGemm"/> times a class of product shapes only when no earlier process on
/// the machine did, and otherwise takes the recorded winner. Which backend computed a product decides
/// its last bits, so without this two runs of the same training (a run and its rerun after a crash,
/// or two runs with one seed) could differ in their weights whenever a close timing went the other way.
/// One file per machine, thread count, OpenBLAS library and build of this assembly (a changed kernel
/// is timed again), under <c>$DLM_HOME/cache/gemm/</c>. Processes deciding at the same time agree:
/// the first to record a class wins and the others adopt its choice. The file is a cache: when it
/// cannot be read or written the decisions stay in memory only (and say so in <see cref="Problem"/>);
/// delete it to have every class timed again.
/// </summary>
public sealed class GemmDecisionFile
{
    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull,
    };

    /// <summary>How long a process waits for another that holds the file's lock (it holds it for milliseconds).</summary>
    private static readonly TimeSpan LockWait = TimeSpan.FromSeconds(30);

    private readonly object _gate = new();
    private Dictionary<string, GemmShapeChoice>? _known;

    /// <summary>A decision file at <paramref name="path"/> for the machine described by <paramref name="machine"/>.</summary>
    public GemmDecisionFile(string path, string machine)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        Path = System.IO.Path.GetFullPath(path);
        Machine = machine ?? "";
    }

    /// <summary>The file.</summary>
    public string Path { get; }

    /// <summary>What the decisions hold for: CPU, thread count, OpenBLAS library, build of the managed kernel.</summary>
    public string Machine { get; }

    /// <summary>The last reason the file could not be read or written (null: none so far).</summary>
    public string? Problem { get; private set; }

    /// <summary>
    /// The file for this machine with <paramref name="threads"/> threads and the OpenBLAS library at
    /// <paramref name="openBlasLibrary"/>, under <see cref="DlmPaths.Home"/>.
    /// </summary>
    public static GemmDecisionFile ForThisMachine(int threads, string openBlasLibrary)
    {
        string build = typeof(GemmDecisionFile).Assembly.ManifestModule.ModuleVersionId.ToString("N");
        string machine = $"{CpuInfo.ModelName}; {Environment.ProcessorCount} cpus; {threads} threads; {CpuInfo.SimdLevel}; {openBlasLibrary}; Dlm.Numerics {build}";
        string id = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(machine)))[..16];
        return new GemmDecisionFile(System.IO.Path.Combine(DlmPaths.Home, "cache", "gemm", $"decisions-{id}.json"), machine);
    }

    /// <summary>The recorded decision of class <paramref name="key"/>, if an earlier process made it.</summary>
    public bool TryGet(string key, out GemmShapeChoice choice)
    {
        lock (_gate)
        {
            _known ??= Read();
            return _known.TryGetValue(key, out choice!);
        }
    }

    /// <summary>
    /// Records <paramref name="choice"/> for class <paramref name="key"/> unless another process recorded
    /// the class meanwhile; returns the decision that holds (the other process's, then).
    /// </summary>
    public GemmShapeChoice Record(string key, GemmShapeChoice choice)
    {
        ArgumentNullException.ThrowIfNull(choice);
        lock (_gate)
        {
            try
            {
                Directory.CreateDirectory(System.IO.Path.GetDirectoryName(Path)!);
                using var held = Lock();
                if (held is null)
                {
                    Problem = $"{Path}.lock stayed locked for {LockWait.TotalSeconds:0} s; the decision is kept in memory only";
                    return choice;
                }
                _known = Read();
                if (_known.TryGetValue(key, out var theirs)) return theirs;
                _known[key] = choice;
                AtomicFile.WriteAllText(Path, JsonSerializer.Serialize(new Content(Machine, _known), Json) + "\n");
                return choice;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                Problem = $"{Path}: {e.Message}; the decision is kept in memory only";
                (_known ??= [])[key] = choice;
                return choice;
            }
        }
    }

    // An exclusive lock on a sibling file (flock under .NET on Unix), or null after LockWait.
    private FileStream? Lock()
    {
        var until = DateTime.UtcNow + LockWait;
        while (true)
        {
            try
            {
                return new FileStream(Path + ".lock", FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException) when (DateTime.UtcNow < until)
            {
                Thread.Sleep(5);
            }
            catch (IOException)
            {
                return null;
            }
        }
    }

    private Dictionary<string, GemmShapeChoice> Read()
    {
        try
        {
            if (!File.Exists(Path)) return [];
            var content = JsonSerializer.Deserialize<Content>(File.ReadAllText(Path), Json);
            return content?.Classes is { } c ? new Dictionary<string, GemmShapeChoice>(c) : [];
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException)
        {
            // A damaged cache is timed again and rewritten; nothing else depends on it.
            Problem = $"{Path}: {e.Message}; its classes are timed again";
            return [];
        }
    }

    private sealed record Content(string Machine, Dictionary<string, GemmShapeChoice> Classes);
}
