using System.Text;
using System.Text.Json;
using Dlm.Core;
using Dlm.Data.Settings;

namespace Dlm.Data.Sources;

/// <summary>
/// Streams the documents of a pretraining source (every document kind of <see cref="SourceKind"/>).
/// Nothing is held beyond the current file or Parquet row group, so memory stays flat on any input
/// size. Records that cannot be used go to <see cref="SourceReadContext.ReportMalformed"/>.
/// </summary>
public static class DocumentSources
{

    /// <summary>The documents of <paramref name="source"/>, in a deterministic order.</summary>
    /// <exception cref="DlmException">The source's path is missing or unusable.</exception>
    public static IEnumerable<TextDocument> Read(SourceSettings source, long seed, SourceReadContext context)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(context);
        return source.Kind switch
        {
            SourceKind.TextDir => Folder(source, source.Options.Glob ?? "*.md", seed, context, t => t),
            SourceKind.Gutenberg => Folder(source, source.Options.Glob ?? "*.txt", seed, context, GutenbergText.Body, "no Project Gutenberg START marker"),
            SourceKind.Brown => Brown(source, seed, context),
            SourceKind.Lines => WithVal(source, context, (p, s) => Lines(p, s, context)),
            SourceKind.WikiText => WithVal(source, context, (p, s) => source.Options.Unit == "line" ? Lines(p, s, context) : WikiArticles(p, s, context)),
            SourceKind.Jsonl => WithVal(source, context, (p, s) => Jsonl(source, p, s, context)),
            SourceKind.Parquet => WithVal(source, context, (p, s) => ParquetText(source, p, s, context)),
            _ => throw new DlmException($"source {source.Name}: kind {source.Kind.ToName()} gives conversations, not documents"),
        };
    }

    private static IEnumerable<TextDocument> Folder(SourceSettings source, string glob, long seed, SourceReadContext context,
        Func<string, string?> body, string? noBody = null)
    {
        var files = SourceFiles.List(source.Name, source.Path, glob);
        context.TotalBytes = SourceFiles.TotalBytes(files);
        var val = source.Options.ValFrac is { } f ? SourceFiles.ValIndices(files.Count, f, seed) : null;
        for (int i = 0; i < files.Count; i++)
        {
            var text = SourceFiles.ReadText(files[i], context);
            if (text is null) continue;
            var b = body(text);
            if (b is null) { context.ReportMalformed(files[i], noBody ?? "unusable"); continue; }
            if (string.IsNullOrWhiteSpace(b)) { context.ReportMalformed(files[i], "empty document"); continue; }
            yield return new TextDocument(b, files[i], val is null ? RecordSplit.Any : val.Contains(i) ? RecordSplit.Val : RecordSplit.Train);
        }
    }

    private static IEnumerable<TextDocument> Brown(SourceSettings source, long seed, SourceReadContext context)
    {
        if (!Directory.Exists(source.Path)) throw new DlmException($"source {source.Name}: Brown corpus folder not found: {source.Path}");
        var files = Directory.GetFiles(source.Path).Where(f => BrownText.IsCorpusFile(Path.GetFileName(f)))
            .OrderBy(f => Path.GetFileName(f), StringComparer.Ordinal).ToList();
        if (files.Count == 0) throw new DlmException($"source {source.Name}: no Brown corpus files (ca01 ... cr09) in {source.Path}");
        context.TotalBytes = SourceFiles.TotalBytes(files);
        var val = source.Options.ValFrac is { } f ? SourceFiles.ValIndices(files.Count, f, seed) : null;
        var buffer = Array.Empty<byte>(); // one buffer for every file: only the text is kept
        for (int i = 0; i < files.Count; i++)
        {
            int length = ReadFile(files[i], ref buffer);
            context.AddBytes(length);
            string text;
            try { text = BrownText.StripFileToString(buffer.AsSpan(0, length)); }
            catch (DecoderFallbackException) { context.ReportMalformed(files[i], "not valid UTF-8"); continue; }
            if (text.Length == 0) { context.ReportMalformed(files[i], "empty document"); continue; }
            yield return new TextDocument(text, files[i], val is null ? RecordSplit.Any : val.Contains(i) ? RecordSplit.Val : RecordSplit.Train);
        }
    }

    // Reads a whole file into buffer (grown as needed); returns its length.
    private static int ReadFile(string path, ref byte[] buffer)
    {
        using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read, FileOptions.SequentialScan);
        long length = RandomAccess.GetLength(handle);
        if (length > Array.MaxLength) throw new DlmException($"{path}: too large to read as one document ({length} bytes)");
        if (buffer.Length < length) buffer = new byte[Math.Min(Array.MaxLength, Math.Max(length, 2L * buffer.Length))];
        int n = 0;
        while (n < length)
        {
            int got = RandomAccess.Read(handle, buffer.AsSpan(n, (int)length - n), n);
            if (got == 0) break; // the file shrank meanwhile
            n += got;
        }
        return n;
    }

    // A val_path gives the validation documents (read first, as niels-gpt's builder did); the main path is then all train.
    private static IEnumerable<TextDocument> WithVal(SourceSettings source, SourceReadContext context, Func<string, RecordSplit, IEnumerable<TextDocument>> read)
    {
        var mainFiles = ListData(source, source.Path);
        var valFiles = source.Options.ValPath is { } vp ? ListData(source, vp) : [];
        context.TotalBytes = SourceFiles.TotalBytes(mainFiles) + SourceFiles.TotalBytes(valFiles);
        foreach (var f in valFiles)
            foreach (var d in read(f, RecordSplit.Val)) yield return d;
        var split = valFiles.Count > 0 ? RecordSplit.Train : RecordSplit.Any;
        foreach (var f in mainFiles)
            foreach (var d in read(f, split)) yield return d;
    }

    private static IReadOnlyList<string> ListData(SourceSettings source, string path) => source.Kind switch
    {
        SourceKind.Parquet => SourceFiles.List(source.Name, path, "*.parquet"),
        SourceKind.Jsonl => SourceFiles.List(source.Name, path, "*.jsonl"),
        SourceKind.WikiText => SourceFiles.List(source.Name, path, "*.raw"),
        _ => SourceFiles.List(source.Name, path, "*.txt"),
    };

    private static IEnumerable<TextDocument> Lines(string path, RecordSplit split, SourceReadContext context)
    {
        foreach (var (n, line) in SourceFiles.ReadLines(path, context))
            if (!string.IsNullOrWhiteSpace(line)) yield return new TextDocument(line, $"{path}:{n}", split);
    }

    /// <summary>Whether a WikiText line is a top-level article heading (<c> = Title = </c>, not <c> = = Section = = </c>).</summary>
    public static bool IsWikiTitle(string line)
    {
        ArgumentNullException.ThrowIfNull(line);
        var t = line.Trim();
        return t.Length >= 5 && t.StartsWith("= ", StringComparison.Ordinal) && t.EndsWith(" =", StringComparison.Ordinal)
            && !t.StartsWith("= =", StringComparison.Ordinal);
    }

    private static IEnumerable<TextDocument> WikiArticles(string path, RecordSplit split, SourceReadContext context)
    {
        var sb = new StringBuilder();
        int startLine = 0;
        foreach (var (n, line) in SourceFiles.ReadLines(path, context))
        {
            if (IsWikiTitle(line) && sb.Length > 0)
            {
                var text = sb.ToString().Trim();
                if (text.Length > 0) yield return new TextDocument(text, $"{path}:{startLine}", split);
                sb.Clear();
            }
            if (sb.Length == 0) startLine = n;
            sb.Append(line).Append('\n');
        }
        var last = sb.ToString().Trim();
        if (last.Length > 0) yield return new TextDocument(last, $"{path}:{startLine}", split);
    }

    private static readonly string[] TextFields = ["text", "content", "document"];

    private static IEnumerable<TextDocument> Jsonl(SourceSettings source, string path, RecordSplit split, SourceReadContext context)
    {
        foreach (var (n, line) in SourceFiles.ReadLines(path, context))
        {
            if (string.IsNullOrWhiteSpace(line)) continue;
            var where = $"{path}:{n}";
            string? text = null, problem = null;
            try
            {
                using var doc = JsonDocument.Parse(line);
                if (doc.RootElement.ValueKind != JsonValueKind.Object) problem = "not a JSON object";
                else
                {
                    foreach (var field in source.Options.TextField is { } tf ? [tf] : TextFields)
                        if (doc.RootElement.TryGetProperty(field, out var v))
                        {
                            if (v.ValueKind == JsonValueKind.String) text = v.GetString();
                            else problem = $"field '{field}' is not a string";
                            break;
                        }
                    if (text is null) problem ??= $"no text field ({string.Join(", ", source.Options.TextField is { } f ? [f] : TextFields)})";
                }
            }
            catch (JsonException e)
            {
                problem = $"not valid JSON: {e.Message}";
            }
            if (problem is not null) { context.ReportMalformed(where, problem); continue; }
            if (string.IsNullOrWhiteSpace(text)) { context.ReportMalformed(where, "empty text"); continue; }
            yield return new TextDocument(text!, where, split);
        }
    }

    private static IEnumerable<TextDocument> ParquetText(SourceSettings source, string path, RecordSplit split, SourceReadContext context)
    {
        foreach (var (row, text, problem) in ParquetColumns.ReadStrings(source.Name, path, source.Options.TextField is { } tf ? [tf] : TextFields, context))
        {
            var where = $"{path}:row {row}";
            if (problem is not null) { context.ReportMalformed(where, problem); continue; }
            if (string.IsNullOrWhiteSpace(text)) { context.ReportMalformed(where, "empty text"); continue; }
            yield return new TextDocument(text!, where, split);
        }
    }
}
