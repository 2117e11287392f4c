using System.Text.Json;
using Dlm.Chat;
using Dlm.Core;

namespace Dlm.Data.Sources;

/// <summary>
/// The primer dialogues (REFERENCE.md R1) in its two formats. <c>primer.jsonl</c>: one
/// <c>{"messages":[{"role","content"},...]}</c> per line, each message exactly those two keys, role
/// system|user|assistant, blank lines skipped, any other violation an error naming the line.
/// <c>primer.txt</c>: blocks separated by <c>"\n\n&lt;dialogue&gt;\n\n"</c>, lines <c>role: content</c>
/// (role case-insensitive, content stripped); a block without an assistant turn or with fewer
/// than two messages is dropped (and counted).
/// </summary>
public static class PrimerFile
{
    /// <summary>The separator between dialogue blocks of <c>primer.txt</c>.</summary>
    public const string DialogueSeparator = "\n\n<dialogue>\n\n";

    /// <summary>Reads a <c>.txt</c> primer by its extension, a JSONL primer otherwise.</summary>
    /// <exception cref="DlmException"><c>missing primer jsonl: PATH</c>, or a malformed JSONL line.</exception>
    public static IEnumerable<Conversation> Read(string path, SourceReadContext context)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(context);
        bool txt = path.EndsWith(".txt", StringComparison.OrdinalIgnoreCase);
        if (!File.Exists(path)) throw new DlmException(txt ? $"missing primer txt: {path}" : $"missing primer jsonl: {path}");
        context.TotalBytes = new FileInfo(path).Length;
        return txt ? ReadTxt(path, context) : ReadJsonl(path, context);
    }

    private static IEnumerable<Conversation> ReadJsonl(string path, SourceReadContext context)
    {
        foreach (var (n, line) in SourceFiles.ReadLines(path, context))
        {
            if (string.IsNullOrWhiteSpace(line)) continue;
            yield return new Conversation(ParseLine(line, new SourceLocation(path, n)), $"{path}:{n}");
        }
    }

    /// <summary>Parses one primer JSONL line with R1's strict rules.</summary>
    public static IReadOnlyList<Message> ParseLine(string line, SourceLocation where)
    {
        ArgumentNullException.ThrowIfNull(line);
        JsonDocument doc;
        try { doc = JsonDocument.Parse(line); }
        catch (JsonException e) { throw new DlmException(where, $"not valid JSON: {e.Message}"); }
        using (doc)
        {
            var r = doc.RootElement;
            if (r.ValueKind != JsonValueKind.Object || !r.TryGetProperty("messages", out var ms) || ms.ValueKind != JsonValueKind.Array)
                throw new DlmException(where, "expected {\"messages\": [...]}");
            foreach (var p in r.EnumerateObject())
                if (p.Name != "messages") throw new DlmException(where, $"unexpected key '{p.Name}' (only \"messages\")");
            var list = new List<Message>();
            int i = 0;
            foreach (var m in ms.EnumerateArray())
            {
                if (m.ValueKind != JsonValueKind.Object) throw new DlmException(where, $"message {i} is not an object");
                var keys = m.EnumerateObject().Select(p => p.Name).ToList();
                if (keys.Count != 2 || !keys.Contains("role") || !keys.Contains("content"))
                    throw new DlmException(where, $"message {i} must have exactly the keys role and content, has {string.Join(", ", keys)}");
                var role = m.GetProperty("role");
                var content = m.GetProperty("content");
                if (role.ValueKind != JsonValueKind.String || role.GetString() is not ("system" or "user" or "assistant"))
                    throw new DlmException(where, $"message {i}: role must be system, user or assistant");
                if (content.ValueKind != JsonValueKind.String) throw new DlmException(where, $"message {i}: content must be a string");
                list.Add(new Message(role.GetString()!, content.GetString()!));
                i++;
            }
            if (list.Count == 0) throw new DlmException(where, "no messages");
            return list;
        }
    }

    private static IEnumerable<Conversation> ReadTxt(string path, SourceReadContext context)
    {
        var text = SourceFiles.ReadText(path, context) ?? throw new DlmException($"{path}: not valid UTF-8");
        text = text.Replace("\r\n", "\n", StringComparison.Ordinal);
        int block = 0, line = 1;
        foreach (var raw in text.Split(DialogueSeparator))
        {
            block++;
            var where = $"{path}:{line}";
            line += raw.Count(c => c == '\n') + DialogueSeparator.Count(c => c == '\n');
            var messages = new List<Message>();
            foreach (var l in raw.Split('\n'))
            {
                int colon = l.IndexOf(':', StringComparison.Ordinal);
                if (colon <= 0) continue;
                var role = l[..colon].Trim().ToLowerInvariant();
                if (role is not ("system" or "user" or "assistant")) continue;
                messages.Add(new Message(role, l[(colon + 1)..].Trim()));
            }
            if (messages.Count < 2 || !messages.Any(m => m.Role == Roles.Assistant))
            {
                if (!string.IsNullOrWhiteSpace(raw)) context.ReportMalformed(where, $"dialogue {block} dropped: needs an assistant turn and at least 2 messages");
                continue;
            }
            yield return new Conversation(messages, where);
        }
    }
}
