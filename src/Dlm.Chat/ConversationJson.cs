using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Dlm.Core;

namespace Dlm.Chat;

/// <summary>
/// Conversations as tinker-cookbook stores them: one JSON object <c>{"messages": [...]}</c> per
/// line, each message <c>{"role", "content", "thinking"?, "tool_calls"?, "trainable"?,
/// "tool_call_id"?, "name"?}</c>. Content may also be a list of text parts
/// <c>[{"type": "text", "text": ...}]</c>, which are joined. Other keys are ignored.
/// </summary>
public static class ConversationJson
{
    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>Reads every non-blank line of a JSONL file; errors name the file and line.</summary>
    public static IReadOnlyList<IReadOnlyList<Message>> ReadJsonl(string path)
    {
        if (!File.Exists(path)) throw new DlmException($"{path}: no such conversations file");
        var result = new List<IReadOnlyList<Message>>();
        int lineNo = 0;
        foreach (var line in File.ReadLines(path))
        {
            lineNo++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            result.Add(Parse(line, new SourceLocation(path, lineNo)));
        }
        return result;
    }

    /// <summary>Parses one <c>{"messages": [...]}</c> object.</summary>
    public static IReadOnlyList<Message> Parse(string json, SourceLocation? where = null)
    {
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(json);
        }
        catch (JsonException e)
        {
            throw Error(where, $"not valid JSON: {e.Message}");
        }
        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("messages", out var messages)
                || messages.ValueKind != JsonValueKind.Array)
                throw Error(where, "expected an object with a \"messages\" array");
            var list = new List<Message>();
            int index = 0;
            foreach (var m in messages.EnumerateArray()) list.Add(ReadMessage(m, index++, where));
            return list;
        }
    }

    /// <summary>Writes one conversation as a single-line <c>{"messages": [...]}</c> object.</summary>
    public static string Serialize(IReadOnlyList<Message> messages)
    {
        ArgumentNullException.ThrowIfNull(messages);
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, WriterOptions))
        {
            w.WriteStartObject();
            w.WriteStartArray("messages");
            foreach (var m in messages) WriteMessage(w, m);
            w.WriteEndArray();
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    private static void WriteMessage(Utf8JsonWriter w, Message m)
    {
        w.WriteStartObject();
        w.WriteString("role", m.Role);
        w.WriteString("content", m.Content);
        if (m.Thinking is not null) w.WriteString("thinking", m.Thinking);
        if (m.ToolCalls is not null)
        {
            w.WriteStartArray("tool_calls");
            foreach (var c in m.ToolCalls)
            {
                w.WriteStartObject();
                w.WriteString("type", "function");
                if (c.Id is not null) w.WriteString("id", c.Id);
                w.WriteStartObject("function");
                w.WriteString("name", c.Name);
                w.WriteString("arguments", c.Arguments);
                w.WriteEndObject();
                w.WriteEndObject();
            }
            w.WriteEndArray();
        }
        if (m.Trainable is { } t) w.WriteBoolean("trainable", t);
        if (m.ToolCallId is not null) w.WriteString("tool_call_id", m.ToolCallId);
        if (m.Name is not null) w.WriteString("name", m.Name);
        w.WriteEndObject();
    }

    private static Message ReadMessage(JsonElement m, int index, SourceLocation? where)
    {
        if (m.ValueKind != JsonValueKind.Object) throw Error(where, $"message {index} is not an object");
        string role = m.TryGetProperty("role", out var r) && r.ValueKind == JsonValueKind.String
            ? r.GetString()!
            : throw Error(where, $"message {index} has no string \"role\"");
        if (!m.TryGetProperty("content", out var c)) throw Error(where, $"message {index} ({role}) has no \"content\"");
        var content = c.ValueKind switch
        {
            JsonValueKind.String => c.GetString()!,
            JsonValueKind.Null => "",
            JsonValueKind.Array => JoinTextParts(c, index, where),
            _ => throw Error(where, $"message {index} ({role}): \"content\" must be a string or a list of text parts"),
        };
        return new Message(role, content)
        {
            Thinking = OptionalString(m, "thinking", index, where),
            ToolCalls = m.TryGetProperty("tool_calls", out var calls) && calls.ValueKind != JsonValueKind.Null
                ? ReadToolCalls(calls, index, where)
                : null,
            Trainable = m.TryGetProperty("trainable", out var t) && t.ValueKind != JsonValueKind.Null
                ? t.ValueKind is JsonValueKind.True or JsonValueKind.False
                    ? t.GetBoolean()
                    : throw Error(where, $"message {index}: \"trainable\" must be true or false")
                : null,
            ToolCallId = OptionalString(m, "tool_call_id", index, where),
            Name = OptionalString(m, "name", index, where),
        };
    }

    private static string JoinTextParts(JsonElement parts, int index, SourceLocation? where)
    {
        var sb = new StringBuilder();
        foreach (var p in parts.EnumerateArray())
        {
            if (p.ValueKind != JsonValueKind.Object || !p.TryGetProperty("type", out var type) || type.GetString() != "text"
                || !p.TryGetProperty("text", out var text) || text.ValueKind != JsonValueKind.String)
                throw Error(where, $"message {index}: only text content parts ({{\"type\": \"text\", \"text\": ...}}) are supported");
            sb.Append(text.GetString());
        }
        return sb.ToString();
    }

    private static List<ToolCall> ReadToolCalls(JsonElement calls, int index, SourceLocation? where)
    {
        if (calls.ValueKind != JsonValueKind.Array) throw Error(where, $"message {index}: \"tool_calls\" must be a list");
        var list = new List<ToolCall>();
        foreach (var call in calls.EnumerateArray())
        {
            if (call.ValueKind != JsonValueKind.Object || !call.TryGetProperty("function", out var f) || f.ValueKind != JsonValueKind.Object
                || !f.TryGetProperty("name", out var name) || name.ValueKind != JsonValueKind.String
                || !f.TryGetProperty("arguments", out var args))
                throw Error(where, $"message {index}: a tool call needs \"function\": {{\"name\", \"arguments\"}}");
            // Arguments are a JSON text; an inline object is accepted and kept as its text.
            var argumentText = args.ValueKind == JsonValueKind.String ? args.GetString()! : args.GetRawText();
            string? id = call.TryGetProperty("id", out var idEl) && idEl.ValueKind == JsonValueKind.String ? idEl.GetString() : null;
            list.Add(new ToolCall(name.GetString()!, argumentText, id));
        }
        return list;
    }

    private static string? OptionalString(JsonElement m, string key, int index, SourceLocation? where)
    {
        if (!m.TryGetProperty(key, out var v) || v.ValueKind == JsonValueKind.Null) return null;
        return v.ValueKind == JsonValueKind.String ? v.GetString() : throw Error(where, $"message {index}: \"{key}\" must be a string");
    }

    private static DlmException Error(SourceLocation? where, string message) =>
        where is { } w ? new DlmException(w, message) : new DlmException(message);
}
