using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Dlm.Core;

namespace Dlm.Models.Config;

/// <summary>
/// Reads and writes Hugging Face <c>config.json</c> for <c>model_type</c> llama, qwen2, gpt2
/// and our own niels (llama keys plus <c>mlp_bias</c> and <c>dropout</c>).
/// </summary>
public static class HfConfigJson
{
    /// <summary>Parses a config.json file.</summary>
    public static ModelConfig Load(string path)
    {
        if (!File.Exists(path)) throw new DlmException($"{path}: config.json not found");
        return Parse(File.ReadAllText(path), path);
    }

    /// <summary>Parses config.json text; <paramref name="source"/> names it in errors.</summary>
    public static ModelConfig Parse(string json, string source = "config.json")
    {
        JsonObject o;
        try
        {
            o = JsonNode.Parse(json)?.AsObject() ?? throw new DlmException($"{source}: empty config");
        }
        catch (JsonException e)
        {
            throw new DlmException($"{source}: malformed JSON: {e.Message}");
        }
        catch (InvalidOperationException)
        {
            throw new DlmException($"{source}: config must be a JSON object");
        }
        var type = Str(o, "model_type", source) ?? throw new DlmException($"{source}: no model_type");
        try
        {
            return (type switch
            {
                "llama" or "qwen2" or "niels" => ParseLlamaLike(o, type, source),
                "gpt2" => ParseGpt2(o, source),
                _ => throw new DlmException($"{source}: model_type '{type}' is not supported (dlm knows llama, qwen2, gpt2, niels)"),
            }).Validate();
        }
        catch (DlmException e) when (!e.Message.StartsWith(source, StringComparison.Ordinal))
        {
            throw new DlmException($"{source}: {e.Message}");
        }
    }

    private static ModelConfig ParseLlamaLike(JsonObject o, string type, string source)
    {
        int d = Int(o, "hidden_size", source) ?? throw Missing(source, "hidden_size");
        int heads = Int(o, "num_attention_heads", source) ?? throw Missing(source, "num_attention_heads");
        var family = type == "niels" ? ModelFamily.Niels : ModelFamily.Llama;
        RopeScaling? scaling = null;
        if (o["rope_scaling"] is JsonObject rs)
        {
            var kind = Str(rs, "rope_type", source) ?? Str(rs, "type", source);
            if (kind != "llama3")
                throw new DlmException($"{source}: rope_scaling type '{kind}' is not supported (dlm knows llama3)");
            scaling = new RopeScaling(
                Num(rs, "factor", source) ?? throw Missing(source, "rope_scaling.factor"),
                Num(rs, "low_freq_factor", source) ?? 1.0,
                Num(rs, "high_freq_factor", source) ?? 4.0,
                Int(rs, "original_max_position_embeddings", source) ?? throw Missing(source, "rope_scaling.original_max_position_embeddings"));
        }
        bool qwen = type == "qwen2";
        bool attnBias = Bool(o, "attention_bias", source) ?? false;
        return new ModelConfig
        {
            Family = family,
            ModelType = type,
            VocabSize = Int(o, "vocab_size", source) ?? throw Missing(source, "vocab_size"),
            ContextLength = Int(o, "max_position_embeddings", source) ?? 2048,
            DModel = d,
            Layers = Int(o, "num_hidden_layers", source) ?? throw Missing(source, "num_hidden_layers"),
            Heads = heads,
            KvHeads = Int(o, "num_key_value_heads", source) ?? heads,
            DFf = Int(o, "intermediate_size", source) ?? throw Missing(source, "intermediate_size"),
            HeadDim = Int(o, "head_dim", source) ?? 0,
            NormEps = (float)(Num(o, "rms_norm_eps", source) ?? 1e-6),
            RopeTheta = Num(o, "rope_theta", source) ?? 10000.0,
            RopeScaling = scaling,
            QkvBias = qwen || attnBias,
            OutBias = !qwen && attnBias,
            MlpBias = Bool(o, "mlp_bias", source) ?? (family == ModelFamily.Niels),
            TiedEmbeddings = Bool(o, "tie_word_embeddings", source) ?? (family == ModelFamily.Niels),
            Dropout = (float)(Num(o, "dropout", source) ?? 0.0),
        };
    }

    private static ModelConfig ParseGpt2(JsonObject o, string source)
    {
        int d = Int(o, "n_embd", source) ?? 768;
        int heads = Int(o, "n_head", source) ?? 12;
        var act = Str(o, "activation_function", source) ?? "gelu_new";
        if (act is not ("gelu_new" or "gelu_pytorch_tanh"))
            throw new DlmException($"{source}: activation_function '{act}' is not supported (dlm knows gelu_new)");
        return new ModelConfig
        {
            Family = ModelFamily.Gpt2,
            ModelType = "gpt2",
            VocabSize = Int(o, "vocab_size", source) ?? 50257,
            ContextLength = Int(o, "n_positions", source) ?? 1024,
            DModel = d,
            Layers = Int(o, "n_layer", source) ?? 12,
            Heads = heads,
            KvHeads = heads,
            DFf = Int(o, "n_inner", source) ?? 4 * d,
            NormEps = (float)(Num(o, "layer_norm_epsilon", source) ?? 1e-5),
            QkvBias = true,
            OutBias = true,
            MlpBias = true,
            TiedEmbeddings = true,
            Dropout = (float)(Num(o, "resid_pdrop", source) ?? 0.0),
        };
    }

    /// <summary>Renders a config as Hugging Face config.json text (indented).</summary>
    public static string ToJson(ModelConfig c)
    {
        ArgumentNullException.ThrowIfNull(c);
        var o = new JsonObject();
        if (c.Family == ModelFamily.Gpt2)
        {
            o["model_type"] = "gpt2";
            o["architectures"] = new JsonArray("GPT2LMHeadModel");
            o["vocab_size"] = c.VocabSize;
            o["n_positions"] = c.ContextLength;
            o["n_embd"] = c.DModel;
            o["n_layer"] = c.Layers;
            o["n_head"] = c.Heads;
            o["n_inner"] = c.DFf;
            o["layer_norm_epsilon"] = c.NormEps;
            o["activation_function"] = "gelu_new";
            o["resid_pdrop"] = c.Dropout;
            o["tie_word_embeddings"] = true;
        }
        else
        {
            o["model_type"] = c.ModelType;
            o["architectures"] = new JsonArray(c.ModelType switch { "qwen2" => "Qwen2ForCausalLM", "niels" => "NielsForCausalLM", _ => "LlamaForCausalLM" });
            o["vocab_size"] = c.VocabSize;
            o["max_position_embeddings"] = c.ContextLength;
            o["hidden_size"] = c.DModel;
            o["num_hidden_layers"] = c.Layers;
            o["num_attention_heads"] = c.Heads;
            o["num_key_value_heads"] = c.KvHeads;
            o["intermediate_size"] = c.DFf;
            if (c.HeadDim > 0) o["head_dim"] = c.HeadDim;
            o["rms_norm_eps"] = c.NormEps;
            o["rope_theta"] = c.RopeTheta;
            if (c.RopeScaling is { } rs)
                o["rope_scaling"] = new JsonObject
                {
                    ["rope_type"] = "llama3",
                    ["factor"] = rs.Factor,
                    ["low_freq_factor"] = rs.LowFreqFactor,
                    ["high_freq_factor"] = rs.HighFreqFactor,
                    ["original_max_position_embeddings"] = rs.OriginalMaxPositionEmbeddings,
                };
            if (c.ModelType != "qwen2") o["attention_bias"] = c.QkvBias;
            o["mlp_bias"] = c.MlpBias;
            o["tie_word_embeddings"] = c.TiedEmbeddings;
            o["hidden_act"] = "silu";
            if (c.Dropout > 0 || c.Family == ModelFamily.Niels) o["dropout"] = c.Dropout;
        }
        return o.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
    }

    private static DlmException Missing(string source, string key) => new($"{source}: missing '{key}'");

    private static JsonValue? Value(JsonObject o, string key, string source)
    {
        var n = o[key];
        if (n is null) return null;
        return n as JsonValue ?? throw new DlmException($"{source}: '{key}' must be a scalar");
    }

    private static string? Str(JsonObject o, string key, string source)
    {
        var v = Value(o, key, source);
        if (v is null) return null;
        return v.TryGetValue<string>(out var s) ? s : throw new DlmException($"{source}: '{key}' must be a string");
    }

    private static double? Num(JsonObject o, string key, string source)
    {
        var v = Value(o, key, source);
        if (v is null) return null;
        if (v.TryGetValue<double>(out var d)) return d;
        if (v.TryGetValue<string>(out var s) && double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out d)) return d;
        throw new DlmException($"{source}: '{key}' must be a number");
    }

    private static int? Int(JsonObject o, string key, string source)
    {
        var d = Num(o, key, source);
        if (d is null) return null;
        if (d != Math.Floor(d.Value) || d < int.MinValue || d > int.MaxValue) throw new DlmException($"{source}: '{key}' must be an integer");
        return (int)d.Value;
    }

    private static bool? Bool(JsonObject o, string key, string source)
    {
        var v = Value(o, key, source);
        if (v is null) return null;
        return v.TryGetValue<bool>(out var b) ? b : throw new DlmException($"{source}: '{key}' must be true or false");
    }
}
