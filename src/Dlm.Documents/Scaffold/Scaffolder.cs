using System.Text.RegularExpressions;
using Dlm.Core;
using Dlm.Documents.Descent;
using Dlm.Documents.Format;
using Dlm.Documents.Ids;

namespace Dlm.Documents.Scaffold;

/// <summary>
/// Resolves the target of <c>dlm train</c> to one document, scaffolding
/// <c>T/.dlm/&lt;name&gt;.dlm</c> when needed (R2 "auto-scaffold" and
/// shared/contracts/documents-cli.md). Every refusal is a <see cref="DlmException"/> (a
/// <see cref="UsageException"/> for a bad <c>--name</c>) thrown before anything is written.
/// </summary>
public static partial class Scaffolder
{
    /// <summary>The <c>--base</c> message of a first scaffold.</summary>
    public const string BaseRequiredMessage =
        "scaffold: first-run scaffold requires --base <key>. Pick from the base registry (e.g. smollm2-135m, qwen2.5-coder-1.5b) or pass --base hf:<org>/<name> for an off-registry model.";

    /// <summary>Checks that <paramref name="name"/> is a plain file stem (no separator, not <c>.</c> or <c>..</c>).</summary>
    public static void CheckName(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (name.Length == 0 || name == "." || name == ".." || name.Contains('/', StringComparison.Ordinal)
            || name.Contains('\\', StringComparison.Ordinal) || name.Contains('\0', StringComparison.Ordinal))
            throw new UsageException($"--name must be a plain file stem (no '/', '\\', '.' or '..'), got '{name}'");
    }

    /// <summary>
    /// Resolves <paramref name="request"/>: an existing <c>.dlm</c> target, a document to reuse, or
    /// a new (re)scaffold written atomically. Reused documents are not read here; the caller
    /// parses them (and reports their errors).
    /// </summary>
    public static ScaffoldResult Resolve(ScaffoldRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        CheckName(request.Name);
        var t = request.Target;
        var warnings = new List<string>();
        if (File.Exists(t))
        {
            if (!t.EndsWith(".dlm", StringComparison.Ordinal))
                throw new DlmException($"scaffold: scaffold expects a directory, got file: {t}");
            WarnIgnored(request, t, warnings);
            return new ScaffoldResult(t, null, false, warnings);
        }
        if (!Directory.Exists(t)) throw new DlmException($"scaffold: target does not exist: {t}");

        var dlmDir = Path.Join(t, ".dlm");
        bool dlmIsDir = Directory.Exists(dlmDir);
        if (!dlmIsDir && (File.Exists(dlmDir) || new FileInfo(dlmDir).LinkTarget is not null))
            throw new DlmException($"scaffold: {dlmDir} exists and is not a directory");
        List<string> candidates;
        try
        {
            candidates = dlmIsDir
                ? [.. Directory.GetFiles(dlmDir, "*.dlm").Select(Path.GetFileName).OfType<string>().Order(StringComparer.Ordinal)]
                : [];
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new DlmException($"scaffold: cannot list {dlmDir}: {e.Message}");
        }
        var named = Path.Join(dlmDir, request.Name + ".dlm");

        if (!request.Rescaffold)
        {
            if (candidates.Contains(request.Name + ".dlm"))
            {
                WarnIgnored(request, named, warnings);
                return new ScaffoldResult(named, null, false, warnings);
            }
            if (request.Name == ScaffoldRequest.DefaultName && candidates.Count == 1)
            {
                var only = Path.Join(dlmDir, candidates[0]);
                WarnIgnored(request, only, warnings);
                return new ScaffoldResult(only, null, false, warnings);
            }
            if (request.Name == ScaffoldRequest.DefaultName && candidates.Count > 1)
            {
                var lines = candidates.Select(c => $"  dlm train {t} --name {Path.GetFileNameWithoutExtension(c)}");
                throw new DlmException(
                    $"scaffold: multiple .dlm files found under {dlmDir}; pass --name to pick one:\n{string.Join('\n', lines)}");
            }
        }

        if (string.IsNullOrEmpty(request.Base)) throw new DlmException(BaseRequiredMessage);

        string? id = null;
        if (request.Rescaffold && File.Exists(named))
        {
            id = ExistingId(named);
            if (id is null) warnings.Add($"{named}: no readable dlm_id to keep; a new one was made (the store of the old id is left as it is)");
        }
        id ??= DocumentIds.New();

        var source = RealPath.Resolve(t) ?? Path.GetFullPath(t);
        var text = ScaffoldText.Render(id, request.Base, request.Policy, source,
            ScaffoldText.IncludeFor(request.Include, request.Recursive), request.Exclude);
        bool created = !dlmIsDir;
        try
        {
            Directory.CreateDirectory(dlmDir);
            AtomicFile.WriteAllText(named, text);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            if (created) TryRemoveEmpty(dlmDir);
            throw new DlmException($"scaffold: cannot write {named}: {e.Message}");
        }
        return new ScaffoldResult(named, id, true, warnings);
    }

    /// <summary>
    /// The document <c>dlm train</c> (or <c>dlm show</c>) would reuse for <paramref name="target"/>,
    /// by the same rules as <see cref="Resolve"/> but never writing: a <c>.dlm</c> file itself,
    /// <c>T/.dlm/&lt;name&gt;.dlm</c>, or the single candidate for the default name. Throws the
    /// same messages when there is none (<c>scaffold: no .dlm document under T/.dlm</c>), several,
    /// or the target is missing.
    /// </summary>
    public static string Locate(string target, string name = ScaffoldRequest.DefaultName)
    {
        ArgumentNullException.ThrowIfNull(target);
        CheckName(name);
        try
        {
            // Resolve only writes when it scaffolds, and it cannot scaffold without a base.
            return Resolve(new ScaffoldRequest(target, null, [], [], Name: name)).DocumentPath;
        }
        catch (DlmException e) when (e.Message == BaseRequiredMessage)
        {
            throw new DlmException($"scaffold: no {name}.dlm under {Path.Join(target, ".dlm")}; run dlm train {target} --base <key> to scaffold one");
        }
    }

    /// <summary>The <c>dlm_id</c> of an existing document: parsed when it parses, else read off its frontmatter line.</summary>
    private static string? ExistingId(string path)
    {
        try
        {
            return DlmDocumentReader.ReadFile(path).Frontmatter.DlmId;
        }
        catch (DlmException)
        {
            try
            {
                var lines = File.ReadAllLines(path);
                if (lines.Length == 0 || lines[0].TrimEnd('\r') != "---") return null;
                foreach (var line in lines.Skip(1))
                {
                    if (line.TrimEnd('\r') == "---") break;
                    var m = IdLine().Match(line);
                    if (m.Success && DocumentIds.IsValid(m.Groups[1].Value)) return m.Groups[1].Value;
                }
            }
            catch (IOException)
            {
            }
            return null;
        }
    }

    private static void WarnIgnored(ScaffoldRequest request, string document, List<string> warnings)
    {
        var ignored = (request.ExplicitFlags ?? []).Where(f => f is "--base" or "--include" or "--exclude" or "--policy" or "--no-recursive").ToList();
        if (ignored.Count > 0)
            warnings.Add($"{string.Join(", ", ignored)} ignored: reusing {document} as it is (pass --rescaffold to rewrite it)");
    }

    private static void TryRemoveEmpty(string dir)
    {
        try { if (!Directory.EnumerateFileSystemEntries(dir).Any()) Directory.Delete(dir); }
        catch (IOException) { }
    }

    [GeneratedRegex(@"^dlm_id:\s*[""']?([0-9A-Z]{26})[""']?\s*$")]
    private static partial Regex IdLine();
}
