using System.Text;
using Dlm.Chat.Renderers;
using Dlm.Core;
using Dlm.Tokenizers;

namespace Dlm.Chat.Ollama;

/// <summary>
/// An Ollama <c>Modelfile</c> for a GGUF file: <c>FROM</c>, a <c>TEMPLATE</c> in Ollama's Go
/// template syntax that lays a conversation out as the model's dlm renderer does (same role
/// markers, same separators, the generation prompt at the end), one <c>PARAMETER stop</c> per
/// stop sequence of the renderer, and <c>SYSTEM</c> when a system prompt is given.
/// </summary>
public static class OllamaModelfile
{
    /// <summary>Renderers that have an Ollama template.</summary>
    public static IReadOnlyList<string> SupportedRenderers { get; } = ["chatml", "llama3", "niels", "role_colon"];

    /// <summary>
    /// The Go template for <paramref name="renderer"/>. <paramref name="bos"/> is put first when the
    /// renderer starts with a BOS token that the tokenizer does not add by itself. <paramref name="niels"/>
    /// is the token set a <c>niels</c> model was trained with (<see cref="NielsTokens.For"/>; niels-gpt's
    /// when null), so a model trained with dlm's older short tokens gets a template it can read.
    /// </summary>
    public static string Template(string renderer, string? bos = null, NielsTokens? niels = null) => renderer switch
    {
        "chatml" => "{{- range .Messages }}<|im_start|>{{ .Role }}\n{{ .Content }}<|im_end|>\n{{ end }}<|im_start|>assistant\n",
        "llama3" => (bos ?? "") + "{{- range .Messages }}<|start_header_id|>{{ .Role }}<|end_header_id|>\n\n{{ .Content }}<|eot_id|>{{ end }}<|start_header_id|>assistant<|end_header_id|>\n\n",
        "niels" => NielsTemplate(niels ?? NielsTokens.NielsGpt),
        "role_colon" => (bos ?? "") + "{{- range .Messages }}{{ if eq .Role \"system\" }}System{{ else if eq .Role \"user\" }}User{{ else }}Assistant{{ end }}: {{ .Content }}\n\n{{ end }}Assistant:",
        _ => throw new DlmException($"renderer {renderer} has no Ollama template in dlm (supported: {string.Join(", ", SupportedRenderers)})"),
    };

    private static string NielsTemplate(NielsTokens t) =>
        "{{- range .Messages }}{{ if eq .Role \"system\" }}" + t.System + "{{ else if eq .Role \"user\" }}" + t.User +
        "{{ else }}" + t.Assistant + "{{ end }}{{ .Content }}" + t.EndOfTurn + "{{ end }}" + t.Assistant;

    /// <summary>The renderer's stop sequences as text (stop tokens by their content).</summary>
    public static IReadOnlyList<string> Stops(IRenderer renderer, ITokenizer tokenizer)
    {
        ArgumentNullException.ThrowIfNull(renderer);
        ArgumentNullException.ThrowIfNull(tokenizer);
        var stops = renderer.GetStopSequences();
        if (stops.Strings is { } s) return s;
        return [.. stops.Tokens!.Select(id => tokenizer.IdToToken(id) ?? throw new DlmException($"stop token {id} is not in the vocabulary"))];
    }

    /// <summary>The <c>&lt;|...|&gt;</c> markers of <paramref name="template"/> that are not tokens of <paramref name="tokenizer"/>.</summary>
    public static IReadOnlyList<string> MissingMarkers(string template, ITokenizer tokenizer)
    {
        ArgumentNullException.ThrowIfNull(template);
        ArgumentNullException.ThrowIfNull(tokenizer);
        return [.. System.Text.RegularExpressions.Regex.Matches(template, @"<\|[a-z0-9_]+\|>").Select(m => m.Value).Distinct()
            .Where(m => tokenizer.TokenToId(m) is null)];
    }

    /// <summary>The Modelfile text.</summary>
    public static string Build(string ggufFileName, string template, IReadOnlyList<string> stops, string? system)
    {
        ArgumentNullException.ThrowIfNull(stops);
        var sb = new StringBuilder();
        sb.Append("FROM ./").Append(ggufFileName).Append('\n');
        sb.Append("TEMPLATE \"\"\"").Append(template).Append("\"\"\"\n");
        foreach (var stop in stops) sb.Append("PARAMETER stop ").Append(Quote(stop)).Append('\n');
        if (!string.IsNullOrEmpty(system)) sb.Append("SYSTEM \"\"\"").Append(system).Append("\"\"\"\n");
        return sb.ToString();
    }

    /// <summary>
    /// A Modelfile argument: "quoted", or """triple-quoted""" when it holds a newline or a quote
    /// (Ollama's parser takes multi-line values verbatim between triple quotes).
    /// </summary>
    private static string Quote(string s) =>
        s.Contains('\n', StringComparison.Ordinal) || s.Contains('"', StringComparison.Ordinal) ? "\"\"\"" + s + "\"\"\"" : "\"" + s + "\"";
}
