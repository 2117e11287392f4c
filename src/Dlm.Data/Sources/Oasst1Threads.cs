using System.Text.Json;
using Dlm.Chat;

namespace Dlm.Data.Sources;

/// <summary>
/// OpenAssistant oasst1 as conversations (REFERENCE.md R1): messages of one language only, one
/// thread per root-to-leaf path of each message tree (at most <c>max_messages</c> messages),
/// blank messages skipped, <c>prompter</c> as user, content stripped, and a thread where one role
/// speaks twice in a row dropped (counted). Reads the flat message table (Hugging Face's
/// <c>oasst1</c> JSONL or Parquet: <c>message_id</c>, <c>parent_id</c>, <c>message_tree_id</c>,
/// <c>role</c>, <c>text</c>, <c>lang</c>) or the trees export (<c>*.trees.jsonl</c>: a
/// <c>prompt</c> message with nested <c>replies</c>). A file's messages are held while its trees are
/// assembled (oasst1 is about 85k messages).
/// </summary>
public static class Oasst1Threads
{
    private sealed record Node(string Id, string? ParentId, string TreeId, string Role, string Text, string? Lang, string Location)
    {
        public List<Node> Children { get; } = [];
    }

    /// <summary>The threads of one file.</summary>
    public static IEnumerable<Conversation> Read(string path, RecordSplit split, string lang, int maxMessages, SourceReadContext context)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(context);
        var nodes = new List<Node>();
        if (path.EndsWith(".parquet", StringComparison.Ordinal))
        {
            string[] cols = ["message_id", "parent_id", "message_tree_id", "role", "text", "lang"];
            foreach (var row in ParquetColumns.ReadRows("oasst1", path, cols, firstOf: false, context))
            {
                string? Get(string c) => Array.IndexOf(row.Columns, c) is var i and >= 0 ? row.Values[i] : null;
                var where = $"{path}:row {row.Number}";
                if (Get("message_id") is not { } id || Get("role") is not { } role || Get("text") is not { } text)
                { context.ReportMalformed(where, "needs message_id, role and text"); continue; }
                nodes.Add(new Node(id, Get("parent_id"), Get("message_tree_id") ?? id, role, text, Get("lang"), where));
            }
        }
        else
        {
            foreach (var (n, line) in SourceFiles.ReadLines(path, context))
            {
                if (string.IsNullOrWhiteSpace(line)) continue;
                var where = $"{path}:{n}";
                try
                {
                    using var doc = JsonDocument.Parse(line);
                    var r = doc.RootElement;
                    if (r.ValueKind != JsonValueKind.Object) { context.ReportMalformed(where, "not a JSON object"); continue; }
                    if (r.TryGetProperty("prompt", out var prompt) && prompt.ValueKind == JsonValueKind.Object)
                    {
                        var tree = Str(r, "message_tree_id") ?? Str(prompt, "message_id") ?? where;
                        Flatten(prompt, null, tree, where, nodes, context);
                    }
                    else if (Message(r, null, null, where) is { } node) nodes.Add(node);
                    else context.ReportMalformed(where, "needs message_id, role and text");
                }
                catch (JsonException e) { context.ReportMalformed(where, $"not valid JSON: {e.Message}"); }
            }
        }

        var byId = new Dictionary<string, Node>(StringComparer.Ordinal);
        var roots = new List<Node>();
        foreach (var node in nodes)
        {
            if (node.Lang != lang) continue;
            if (!byId.TryAdd(node.Id, node)) { context.ReportMalformed(node.Location, $"duplicate message_id {node.Id}"); continue; }
        }
        foreach (var node in nodes)
        {
            if (!byId.TryGetValue(node.Id, out var kept) || !ReferenceEquals(kept, node)) continue;
            if (node.ParentId is null) roots.Add(node);
            else if (byId.TryGetValue(node.ParentId, out var parent)) parent.Children.Add(node);
            // A reply whose parent is in another language (or absent) cannot form a thread from the root: dropped with it.
        }

        var path_ = new List<Node>();
        foreach (var root in roots)
            foreach (var thread in Paths(root, path_, maxMessages))
                if (ToConversation(thread, split, context) is { } c) yield return c;
    }

    private static IEnumerable<Node[]> Paths(Node node, List<Node> path, int max)
    {
        path.Add(node);
        if (path.Count >= max || node.Children.Count == 0) yield return path.ToArray();
        else
            foreach (var child in node.Children)
                foreach (var p in Paths(child, path, max)) yield return p;
        path.RemoveAt(path.Count - 1);
    }

    private static Conversation? ToConversation(Node[] thread, RecordSplit split, SourceReadContext context)
    {
        var messages = new List<Message>();
        string? prev = null;
        foreach (var m in thread)
        {
            if (string.IsNullOrWhiteSpace(m.Text)) continue;
            string role = m.Role switch { "prompter" => Roles.User, "assistant" => Roles.Assistant, _ => "" };
            if (role.Length == 0) { context.ReportMalformed(m.Location, $"unknown role '{m.Role}': thread dropped"); return null; }
            if (role == prev) { context.ReportMalformed(thread[^1].Location, $"role {role} speaks twice in a row: thread dropped"); return null; }
            messages.Add(new Message(role, m.Text.Trim()));
            prev = role;
        }
        return messages.Count == 0 ? null : new Conversation(messages, thread[^1].Location, split);
    }

    private static Node? Message(JsonElement r, string? parent, string? tree, string where)
    {
        var id = Str(r, "message_id");
        var role = Str(r, "role");
        var text = Str(r, "text");
        if (id is null || role is null || text is null) return null;
        return new Node(id, parent ?? Str(r, "parent_id"), tree ?? Str(r, "message_tree_id") ?? id, role, text, Str(r, "lang"), where);
    }

    private static void Flatten(JsonElement m, string? parent, string tree, string where, List<Node> nodes, SourceReadContext context)
    {
        if (Message(m, parent, tree, where) is not { } node) { context.ReportMalformed(where, "a tree message needs message_id, role and text"); return; }
        // In the trees export the root has no parent_id; every reply's parent is the message it sits under.
        nodes.Add(node with { ParentId = parent });
        if (m.TryGetProperty("replies", out var replies) && replies.ValueKind == JsonValueKind.Array)
            foreach (var r in replies.EnumerateArray()) Flatten(r, node.Id, tree, where, nodes, context);
    }

    private static string? Str(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
}
