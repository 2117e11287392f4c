using System.Text.Json;
using Dlm.Chat;
using Dlm.Core;
using Dlm.Data.Settings;

namespace Dlm.Data.Sources;

/// <summary>
/// Streams the conversations of an SFT source: Dolly, OASST1 (REFERENCE.md R1 thread rules),
/// conversation JSONL and the primer (<see cref="PrimerFile"/>). Records that cannot be used are
/// reported with file and line (or row) and counted; a broken primer is an error (R1).
/// </summary>
public static class ConversationSources
{
    /// <summary>The conversations of <paramref name="source"/>, in a deterministic order.</summary>
    /// <exception cref="DlmException">The source's path is missing or unusable.</exception>
    public static IEnumerable<Conversation> Read(SourceSettings source, SourceReadContext context)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(context);
        return source.Kind switch
        {
            SourceKind.Primer => PrimerFile.Read(source.Path, context),
            SourceKind.Dolly => WithVal(source, context, "*.jsonl", (p, s) => Dolly(p, s, context)),
            SourceKind.Conversations => WithVal(source, context, "*.jsonl", (p, s) => Messages(p, s, context)),
            SourceKind.Oasst1 => WithVal(source, context, "*", (p, s) => Oasst1Threads.Read(p, s, source.Options.Lang, source.Options.MaxMessages, context)),
            _ => throw new DlmException($"source {source.Name}: kind {source.Kind.ToName()} gives documents, not conversations"),
        };
    }

    private static IEnumerable<Conversation> WithVal(SourceSettings source, SourceReadContext context, string pattern,
        Func<string, RecordSplit, IEnumerable<Conversation>> read)
    {
        var main = List(source, source.Path, pattern);
        var val = source.Options.ValPath is { } vp ? List(source, vp, pattern) : [];
        context.TotalBytes = SourceFiles.TotalBytes(main) + SourceFiles.TotalBytes(val);
        foreach (var f in val)
            foreach (var c in read(f, RecordSplit.Val)) yield return c;
        foreach (var f in main)
            foreach (var c in read(f, val.Count > 0 ? RecordSplit.Train : RecordSplit.Any)) yield return c;
    }

    private static IReadOnlyList<string> List(SourceSettings source, string path, string pattern)
    {
        var files = SourceFiles.List(source.Name, path, pattern);
        return pattern == "*" ? files.Where(f => f.EndsWith(".jsonl", StringComparison.Ordinal) || f.EndsWith(".parquet", StringComparison.Ordinal)).ToList() : files;
    }

    private static IEnumerable<Conversation> Dolly(string path, RecordSplit split, SourceReadContext context)
    {
        foreach (var (n, line) in SourceFiles.ReadLines(path, context))
        {
            if (string.IsNullOrWhiteSpace(line)) continue;
            var where = $"{path}:{n}";
            string? instruction, context_, response, problem = null;
            instruction = context_ = response = null;
            try
            {
                using var doc = JsonDocument.Parse(line);
                var r = doc.RootElement;
                if (r.ValueKind != JsonValueKind.Object) problem = "not a JSON object";
                else
                {
                    instruction = Str(r, "instruction");
                    response = Str(r, "response");
                    context_ = Str(r, "context");
                    if (instruction is null || response is null) problem = "needs string fields 'instruction' and 'response'";
                }
            }
            catch (JsonException e) { problem = $"not valid JSON: {e.Message}"; }
            if (problem is not null) { context.ReportMalformed(where, problem); continue; }
            if (string.IsNullOrWhiteSpace(instruction) || string.IsNullOrWhiteSpace(response)) { context.ReportMalformed(where, "blank instruction or response"); continue; }
            var user = string.IsNullOrWhiteSpace(context_) ? instruction! : instruction + "\n\ncontext:\n" + context_;
            yield return new Conversation([Message.User(user), Message.Assistant(response!)], where, split);
        }
    }

    private static string? Str(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private static IEnumerable<Conversation> Messages(string path, RecordSplit split, SourceReadContext context)
    {
        foreach (var (n, line) in SourceFiles.ReadLines(path, context))
        {
            if (string.IsNullOrWhiteSpace(line)) continue;
            IReadOnlyList<Message> messages;
            try { messages = ConversationJson.Parse(line, new SourceLocation(path, n)); }
            catch (DlmException e)
            {
                var msg = e.Message.StartsWith($"{path}:{n}: ", StringComparison.Ordinal) ? e.Message[$"{path}:{n}: ".Length..] : e.Message;
                context.ReportMalformed($"{path}:{n}", msg);
                continue;
            }
            if (messages.Count == 0) { context.ReportMalformed($"{path}:{n}", "no messages"); continue; }
            yield return new Conversation(messages, $"{path}:{n}", split);
        }
    }
}
