using System.Text;
using System.Text.Json.Nodes;
using Dlm.Core;

namespace Dlm.Documents.Descent;

/// <summary>
/// Walks a document's <c>training.sources</c> and decides, file by file, what becomes prose
/// (docs/documents.md "Directory descent", shared/contracts/documents-cli.md). Every file met is
/// reported once, in walk order (sorted by path segments, ordinal); file symlinks are followed,
/// symlinked folders are not entered, dangling links are not listed. The reason a file is skipped
/// is the first of: excluded, outside_root, over_size, image, audio, binary, encoding, max_files.
/// </summary>
public static class DirectoryDescent
{
    private static readonly HashSet<string> ImageSuffixes = new(StringComparer.OrdinalIgnoreCase)
        { ".png", ".jpg", ".jpeg", ".webp", ".gif", ".bmp", ".tiff" };

    private static readonly HashSet<string> AudioSuffixes = new(StringComparer.OrdinalIgnoreCase)
        { ".wav", ".flac", ".ogg" };

    private static readonly UTF8Encoding StrictUtf8 = new(false, true);

    /// <summary>
    /// The folder relative directive paths anchor on, and the strict-policy root: the document's
    /// folder, or its parent when that folder is named <c>.dlm</c>.
    /// </summary>
    public static string AnchorOf(string documentPath)
    {
        var dir = Path.GetDirectoryName(Path.GetFullPath(documentPath)) ?? "/";
        return Path.GetFileName(dir) == ".dlm" ? Path.GetDirectoryName(dir) ?? "/" : dir;
    }

    /// <summary>
    /// Runs every directive of <paramref name="sources"/> for the document at
    /// <paramref name="documentPath"/>. A directive that cannot be walked (missing path, a strict
    /// escape, an unreadable folder) throws <see cref="DlmException"/> with one line.
    /// </summary>
    public static DescentReport Run(string documentPath, IReadOnlyList<SourceDirective> sources, SourcesPolicy policy)
    {
        ArgumentNullException.ThrowIfNull(documentPath);
        ArgumentNullException.ThrowIfNull(sources);
        var docFull = Path.GetFullPath(documentPath);
        var anchor = AnchorOf(docFull);
        var strictRoot = RealPath.Resolve(anchor) ?? anchor;
        var walk = new Walk(policy, strictRoot, docFull, RealPath.Resolve(docFull) ?? docFull);
        foreach (var d in sources) walk.RunDirective(d, anchor);
        return new DescentReport(walk.Kept, walk.Skipped, walk.Warnings, walk.Order);
    }

    /// <summary>
    /// The contract's <c>descent</c> value for <c>dlm show --json</c>: null when there are no
    /// sources, <c>{"error": ...}</c> when a directive fails, else <see cref="DescentReport.ToJson"/>.
    /// </summary>
    public static JsonObject? ReportJson(string documentPath, IReadOnlyList<SourceDirective>? sources, SourcesPolicy policy)
    {
        if (sources is null || sources.Count == 0) return null;
        try
        {
            return Run(documentPath, sources, policy).ToJson();
        }
        catch (DlmException e)
        {
            return DescentReport.ErrorJson(e.Message);
        }
    }

    /// <summary>Resolves a directive path: <c>~</c> expands, a relative path joins <paramref name="anchor"/>.</summary>
    public static string ResolveDirectivePath(string path, string anchor)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (path == "~" || path.StartsWith("~/", StringComparison.Ordinal))
            path = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile) + path[1..];
        return Path.GetFullPath(Path.IsPathRooted(path) ? path : Path.Join(anchor, path));
    }

    /// <summary>The state of one folder on the way down.</summary>
    private sealed record Frame(
        string Rel,
        string RealDir,
        IgnoreLayers Ignores,
        IReadOnlyList<(string Anchor, TrainingYaml Yaml)> Yamls,
        bool IgnoredByParent,
        bool InDlmFolder);

    private sealed class Walk(SourcesPolicy policy, string strictRoot, string docFull, string docReal)
    {
        public List<KeptFile> Kept { get; } = [];
        public List<SkippedFile> Skipped { get; } = [];
        public List<string> Warnings { get; } = [];
        public List<string> Order { get; } = [];

        private Glob[] _include = [];
        private Glob[] _exclude = [];
        private long? _maxBytes;
        private int? _maxFiles;
        private int _keptHere;

        public void RunDirective(SourceDirective d, string anchor)
        {
            var resolved = ResolveDirectivePath(d.Path, anchor);
            var real = RealPath.Resolve(resolved)
                ?? throw new DlmException($"directive path {resolved} does not exist");
            if (!RealPath.IsWithin(real, strictRoot))
            {
                if (policy == SourcesPolicy.Strict)
                    throw new DlmException($"directive path {real} escapes strict-policy root {strictRoot}");
                Warnings.Add($"directive path {real} lies outside {strictRoot} (permissive policy)");
            }
            _include = [.. d.Include.Select(Glob.Compile)];
            _exclude = [.. d.Exclude.Select(Glob.Compile)];
            _maxBytes = d.MaxBytesPerFile;
            _maxFiles = d.MaxFiles;
            _keptHere = 0;
            if (File.Exists(real))
            {
                var root = new Frame("", Path.GetDirectoryName(real) ?? "/", IgnoreLayers.Empty, [], false, false);
                ProcessFile(resolved, Path.GetFileName(resolved), root, real, new FileInfo(real).Length);
            }
            else
            {
                WalkFolder(resolved, new Frame("", real, IgnoreLayers.Empty, [], false, false));
            }
        }

        private void WalkFolder(string dir, Frame frame)
        {
            FileSystemInfo[] entries;
            try
            {
                entries = new DirectoryInfo(dir).GetFileSystemInfos();
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new DlmException($"cannot read folder {dir}: {e.Message}");
            }
            Array.Sort(entries, (a, b) => string.CompareOrdinal(a.Name, b.Name));
            if (Array.Exists(entries, e => e.Name == ".dlm")) frame = LoadAnchor(dir, frame);
            foreach (var entry in entries)
            {
                var rel = frame.Rel.Length == 0 ? entry.Name : frame.Rel + "/" + entry.Name;
                // On Unix a symlink shows as a reparse point; the enumeration already stat'ed it, so no extra syscall.
                if ((entry.Attributes & FileAttributes.ReparsePoint) != 0)
                {
                    // Real paths of links are resolved in full: a link may point anywhere.
                    var real = RealPath.Resolve(entry.FullName);
                    if (real is null || !File.Exists(real)) continue; // dangling, a loop, or a folder: not listed
                    ProcessFile(entry.FullName, rel, frame, real, new FileInfo(real).Length);
                }
                else if (entry is DirectoryInfo)
                {
                    bool ignored = frame.IgnoredByParent || frame.Ignores.Evaluate(rel, isDirectory: true) == IgnoreVerdict.Ignored;
                    WalkFolder(entry.FullName, frame with
                    {
                        Rel = rel,
                        RealDir = Path.Join(frame.RealDir, entry.Name),
                        IgnoredByParent = ignored,
                        InDlmFolder = frame.InDlmFolder || entry.Name == ".dlm",
                    });
                }
                else if (entry is FileInfo file)
                {
                    // Not a link, inside a folder whose real path is known: its real path follows without a lookup.
                    ProcessFile(entry.FullName, rel, frame, Path.Join(frame.RealDir, entry.Name), file.Length);
                }
            }
        }

        /// <summary>Reads <c>dir/.dlm/training.yaml</c> and <c>dir/.dlm/ignore</c> when present.</summary>
        private Frame LoadAnchor(string dir, Frame frame)
        {
            var dlm = Path.Join(dir, ".dlm");
            if (!Directory.Exists(dlm)) return frame;
            var yamlPath = Path.Join(dlm, "training.yaml");
            if (File.Exists(yamlPath))
            {
                try
                {
                    frame = frame with { Yamls = [.. frame.Yamls, (frame.Rel, TrainingYaml.Load(yamlPath))] };
                }
                catch (DlmException e)
                {
                    Warnings.Add($"{e.Message} (training.yaml skipped)");
                }
            }
            var ignorePath = Path.Join(dlm, "ignore");
            if (File.Exists(ignorePath))
            {
                string text;
                try
                {
                    text = File.ReadAllText(ignorePath, StrictUtf8);
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException or DecoderFallbackException)
                {
                    throw new DlmException($"{ignorePath}: cannot read: {e.Message}");
                }
                frame = frame with { Ignores = frame.Ignores.Push(frame.Rel, IgnoreRules.Parse(text)) };
            }
            return frame;
        }

        private void ProcessFile(string full, string rel, Frame frame, string real, long length)
        {
            Order.Add(rel);
            if (IsExcluded(full, real, rel, frame)) { Skip(SkipReason.Excluded); return; }
            if (!RealPath.IsWithin(real, strictRoot))
            {
                if (policy == SourcesPolicy.Strict) { Skip(SkipReason.OutsideRoot); return; }
                Warnings.Add($"{rel} resolves to {real}, outside {strictRoot} (permissive policy)");
            }
            if (_maxBytes is { } max && length > max) { Skip(SkipReason.OverSize); return; }
            var ext = Path.GetExtension(rel);
            if (ImageSuffixes.Contains(ext)) { Skip(SkipReason.Image); return; }
            if (AudioSuffixes.Contains(ext)) { Skip(SkipReason.Audio); return; }
            byte[] bytes;
            try
            {
                bytes = File.ReadAllBytes(real);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new DlmException($"cannot read {full}: {e.Message}");
            }
            if (bytes.AsSpan(0, Math.Min(1024, bytes.Length)).Contains((byte)0)) { Skip(SkipReason.Binary); return; }
            if (!System.Text.Unicode.Utf8.IsValid(bytes))
            {
                Warnings.Add($"{rel} is not valid UTF-8, skipped");
                Skip(SkipReason.Encoding);
                return;
            }
            if (_maxFiles is { } maxFiles && _keptHere >= maxFiles) { Skip(SkipReason.MaxFiles); return; }
            _keptHere++;
            Kept.Add(new KeptFile(rel, full, bytes, MetadataFor(frame), WeightFor(rel, frame)));

            void Skip(SkipReason reason) => Skipped.Add(new SkippedFile(rel, full, reason));
        }

        private bool IsExcluded(string full, string real, string rel, Frame frame)
        {
            if (frame.InDlmFolder || full == docFull || real == docReal) return true;
            bool included = false;
            var withInclude = frame.Yamls.LastOrDefault(y => y.Yaml.Include.Count > 0);
            if (withInclude.Yaml is not null)
            {
                var local = Local(rel, withInclude.Anchor);
                included = withInclude.Yaml.Include.Any(g => g.IsMatch(local));
            }
            else
            {
                included = _include.Any(g => g.IsMatch(rel));
            }
            if (!included) return true;

            bool excluded = _exclude.Any(g => g.IsMatch(rel));
            bool defaults = frame.Yamls.Count == 0 || frame.Yamls[^1].Yaml.ExcludeDefaults;
            if (defaults && DefaultExcludes.Matches(rel)) excluded = true;
            foreach (var (anchor, yaml) in frame.Yamls)
            {
                var local = Local(rel, anchor);
                if (yaml.Exclude.Any(g => g.IsMatch(local))) excluded = true;
            }
            if (!frame.Ignores.IsEmpty)
            {
                if (frame.IgnoredByParent) excluded = true;
                else
                {
                    var v = frame.Ignores.Evaluate(rel, isDirectory: false);
                    if (v == IgnoreVerdict.Ignored) excluded = true;
                    else if (v == IgnoreVerdict.Included) excluded = false;
                }
            }
            return excluded;
        }

        private static Dictionary<string, string> MetadataFor(Frame frame)
        {
            var tags = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var (_, yaml) in frame.Yamls)
                foreach (var (k, v) in yaml.Metadata) tags[k] = v;
            return tags;
        }

        private static double WeightFor(string rel, Frame frame)
        {
            for (int i = frame.Yamls.Count - 1; i >= 0; i--)
            {
                var (anchor, yaml) = frame.Yamls[i];
                var local = Local(rel, anchor);
                for (int j = yaml.Weights.Count - 1; j >= 0; j--)
                    if (yaml.Weights[j].Glob.IsMatch(local)) return yaml.Weights[j].Weight;
            }
            return 1.0;
        }

        private static string Local(string rel, string anchor) => anchor.Length == 0 ? rel : rel[(anchor.Length + 1)..];
    }
}
