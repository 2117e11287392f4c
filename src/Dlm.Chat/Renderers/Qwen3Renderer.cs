using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Dlm.Tokenizers;

namespace Dlm.Chat.Renderers;

/// <summary>
/// <c>qwen3</c>: Qwen3 with thinking, token-identical to its Hugging Face template.
/// <code>
/// &lt;|im_start|&gt;user\nHello&lt;|im_end|&gt;\n&lt;|im_start|&gt;assistant\n&lt;think&gt;\n...&lt;/think&gt;\n\nHi&lt;|im_end|&gt;
/// </code>
/// No BOS. The header is <c>&lt;|im_start|&gt;{role}\n</c>, preceded by <c>\n</c> after the first
/// message (the newline that ends the previous turn belongs to the next header, so the answer
/// ends on <c>&lt;|im_end|&gt;</c>, the stop token). Earlier assistant messages keep only the
/// text after <c>&lt;/think&gt;</c>, as the template drops old reasoning; a last assistant message
/// without <c>&lt;think&gt;</c> gets <c>&lt;think&gt;\n</c> added to its header. Tool results
/// render as user turns wrapped in <c>&lt;tool_response&gt;</c>; tool calls as the template's
/// <c>&lt;tool_call&gt;</c> blocks.
/// </summary>
public partial class Qwen3Renderer(ITokenizer tokenizer) : Renderer(tokenizer)
{
    /// <summary>Whether earlier assistant messages lose their reasoning (true matches Hugging Face).</summary>
    public bool StripThinkingFromHistory { get; init; } = true;

    /// <inheritdoc/>
    public override string Name => "qwen3";

    /// <summary>False for layouts that know nothing of <c>&lt;think&gt;</c> (Qwen3 instruct 2507).</summary>
    protected virtual bool UsesThinking => true;

    private int EndOfTurn => SingleToken("<|im_end|>");

    /// <inheritdoc/>
    public override RenderedMessage RenderMessage(int index, Message message, bool isLast = false)
    {
        RefuseUnsupported(message, toolCalls: true);
        var role = message.Role == Roles.Tool ? Roles.User : message.Role;
        var header = new StringBuilder(index > 0 ? "\n" : "").Append("<|im_start|>").Append(role).Append('\n');
        var content = message.Content;
        if (message.Role == Roles.Tool) content = $"<tool_response>\n{content}\n</tool_response>";

        bool isAssistant = message.Role == Roles.Assistant;
        if (UsesThinking)
        {
            if (StripThinkingFromHistory && isAssistant && !isLast && content.Contains("</think>", StringComparison.Ordinal))
                content = content.Split("</think>")[1].TrimStart();
            else if (isAssistant && isLast && !content.Contains("<think>", StringComparison.Ordinal))
                header.Append("<think>\n");
        }

        var body = new StringBuilder(content);
        if (message.ToolCalls is { Count: > 0 } calls)
            for (int i = 0; i < calls.Count; i++)
            {
                if (i > 0 || content.Length > 0) body.Append('\n');
                body.Append("<tool_call>\n{\"name\": \"").Append(calls[i].Name).Append("\", \"arguments\": ")
                    .Append(calls[i].Arguments).Append("}\n</tool_call>");
            }
        body.Append("<|im_end|>");
        return new RenderedMessage(Encode(header.ToString()), [Encode(body.ToString())]);
    }

    /// <inheritdoc/>
    public override StopSequences GetStopSequences() => StopSequences.OfTokens(EndOfTurn);

    /// <summary>
    /// Reads the answer up to <c>&lt;|im_end|&gt;</c>, then lifts <c>&lt;tool_call&gt;</c> blocks into
    /// <see cref="Message.ToolCalls"/>; a block that is not <c>{"name", "arguments"|"args"}</c> JSON fails the parse.
    /// </summary>
    public override ParsedResponse ParseResponse(ReadOnlySpan<int> response)
    {
        var parsed = ParseForStopToken(response, EndOfTurn);
        if (!parsed.Ok) return parsed;
        var content = parsed.Message.Content;
        var calls = new List<ToolCall>();
        foreach (Match m in ToolCallBlock().Matches(content))
        {
            var call = ParseToolCall(m.Groups[1].Value);
            if (call is null) return parsed with { Ok = false };
            calls.Add(call);
        }
        if (calls.Count == 0) return parsed;
        var text = ToolCallBlockWithNewline().Replace(content, "").Trim();
        return parsed with { Message = parsed.Message with { Content = text, ToolCalls = calls } };
    }

    private static ToolCall? ParseToolCall(string json)
    {
        try
        {
            using var doc = JsonDocument.Parse(json.Trim());
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object) return null;
            if (!root.TryGetProperty("name", out var name) || name.ValueKind != JsonValueKind.String) return null;
            if (!root.TryGetProperty("arguments", out var args) && !root.TryGetProperty("args", out args)) return null;
            if (args.ValueKind != JsonValueKind.Object) return null;
            string? id = root.TryGetProperty("id", out var idEl) && idEl.ValueKind == JsonValueKind.String ? idEl.GetString() : null;
            return new ToolCall(name.GetString()!, args.GetRawText(), id);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    [GeneratedRegex("<tool_call>(.*?)</tool_call>", RegexOptions.Singleline)]
    private static partial Regex ToolCallBlock();

    [GeneratedRegex("\n?<tool_call>.*?</tool_call>", RegexOptions.Singleline)]
    private static partial Regex ToolCallBlockWithNewline();
}
