using System.Text.Json;
using System.Text.Json.Nodes;
using Dlm.Chat.Renderers;
using Dlm.Core;
using Dlm.Models.Config;
using Dlm.Models.IO;
using Dlm.Models.Transformer;

namespace Dlm.Training.FromScratch;

/// <summary>
/// Writes a trained model as a Hugging Face folder every other command loads (<c>dlm sample</c>,
/// <c>chat</c>, <c>serve</c>, <c>model loss</c>, <c>export</c>): <c>config.json</c> (model_type
/// <c>niels</c> for the niels presets), <c>model.safetensors</c>, the tokenizer file, and a
/// <c>tokenizer_config.json</c> whose <c>chat_template</c> is the niels layout (each message its role
/// token, its content, then end-of-turn; a generation prompt ends with a bare assistant token).
/// </summary>
public static class ScratchModelFolder
{
    private static readonly string[] TokenizerFiles = ["tokenizer.json", "spm.model", "tokenizer.model"];

    /// <summary>The Jinja chat template of the niels layout for these special tokens.</summary>
    public static string ChatTemplate(NielsTokens tokens)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        static string Lit(string s) => "'" + s.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("'", "\\'", StringComparison.Ordinal) + "'";
        return "{% for message in messages %}"
            + $"{{% if message['role'] == 'system' %}}{{{{ {Lit(tokens.System)} }}}}"
            + $"{{% elif message['role'] == 'user' %}}{{{{ {Lit(tokens.User)} }}}}"
            + $"{{% else %}}{{{{ {Lit(tokens.Assistant)} }}}}{{% endif %}}"
            + $"{{{{ message['content'] + {Lit(tokens.EndOfTurn)} }}}}"
            + "{% endfor %}"
            + $"{{% if add_generation_prompt %}}{{{{ {Lit(tokens.Assistant)} }}}}{{% endif %}}";
    }

    /// <summary>
    /// Writes the model's weights and config, the tokenizer file found at <paramref name="tokenizerPath"/>
    /// (a file or a folder holding <c>tokenizer.json</c> or <c>spm.model</c>) and <c>tokenizer_config.json</c>
    /// (the source's, if any, with the niels chat template set) into <paramref name="folder"/>.
    /// </summary>
    public static void Save(string folder, TransformerModel model, string tokenizerPath, NielsTokens tokens)
    {
        ArgumentNullException.ThrowIfNull(model);
        Save(folder, model.Config, model.Layout, model.Weights, tokenizerPath, tokens);
    }

    /// <summary>As <see cref="Save(string, TransformerModel, string, NielsTokens)"/>, from a config, a layout and weights.</summary>
    public static void Save(string folder, ModelConfig config, ParameterLayout layout, ReadOnlySpan<float> weights, string tokenizerPath, NielsTokens tokens)
    {
        ArgumentNullException.ThrowIfNull(tokenizerPath);
        HfModelFolder.Save(folder, config, layout, weights);
        var source = Directory.Exists(tokenizerPath) ? tokenizerPath : Path.GetDirectoryName(Path.GetFullPath(tokenizerPath))!;
        var file = Directory.Exists(tokenizerPath)
            ? TokenizerFiles.Select(n => Path.Combine(tokenizerPath, n)).FirstOrDefault(File.Exists)
                ?? throw new DlmException($"{tokenizerPath}: no tokenizer.json in this folder")
            : tokenizerPath;
        var name = Path.GetFileName(file);
        if (name is not ("tokenizer.json" or "spm.model" or "tokenizer.model"))
            name = file.EndsWith(".json", StringComparison.OrdinalIgnoreCase) ? "tokenizer.json" : "spm.model";
        AtomicFile.WriteAllBytes(Path.Combine(folder, name), File.ReadAllBytes(file));
        var configPath = Path.Combine(source, "tokenizer_config.json");
        var tokConfig = File.Exists(configPath) ? JsonNode.Parse(File.ReadAllText(configPath)) as JsonObject ?? [] : [];
        tokConfig["chat_template"] = ChatTemplate(tokens);
        AtomicFile.WriteAllText(Path.Combine(folder, "tokenizer_config.json"),
            tokConfig.ToJsonString(new JsonSerializerOptions { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }) + "\n");
        var map = Path.Combine(source, "special_tokens_map.json");
        if (File.Exists(map)) AtomicFile.WriteAllText(Path.Combine(folder, "special_tokens_map.json"), File.ReadAllText(map));
    }
}
