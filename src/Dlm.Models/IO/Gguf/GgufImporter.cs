using System.Text.Json;
using System.Text.Json.Nodes;
using Dlm.Core;
using Dlm.Models.Config;
using Dlm.Models.Transformer;

namespace Dlm.Models.IO.Gguf;

/// <summary>What <see cref="GgufImporter"/> wrote.</summary>
/// <param name="Folder">The Hugging Face folder.</param>
/// <param name="Config">The model's configuration.</param>
/// <param name="Tensors">Number of tensors written.</param>
/// <param name="HasTokenizer">Whether tokenizer.json was rebuilt from the embedded vocabulary.</param>
public sealed record GgufImportResult(string Folder, ModelConfig Config, int Tensors, bool HasTokenizer);

/// <summary>
/// Reads a GGUF file (llama, qwen2, gpt2; f32/f16/bf16/q8_0) back into a Hugging Face folder:
/// config.json, model.safetensors (F32, Hugging Face names, llama q/k rows permuted back),
/// tokenizer.json and tokenizer_config.json rebuilt from <c>tokenizer.ggml.*</c>. An f32 file
/// dlm wrote comes back bit for bit.
/// </summary>
public static class GgufImporter
{
    /// <summary>Imports <paramref name="ggufPath"/> into <paramref name="outFolder"/>.</summary>
    public static GgufImportResult Import(string ggufPath, string outFolder)
    {
        using var file = GgufFile.Open(ggufPath);
        var config = ReadConfig(file);
        var layout = new ParameterLayout(config);
        var arch = file.Get("general.architecture")!.AsString();
        bool permuted = arch == "llama" && config.Family == ModelFamily.Llama;
        // Check every tensor before writing anything.
        var sources = new List<(ParameterTensor Tensor, GgufTensorInfo Info)>();
        foreach (var t in layout.Tensors)
        {
            var name = LlamaCppArchitecture.GgufName(config, t.Name);
            var info = file.Tensor(name) ?? throw new DlmException($"{ggufPath}: no tensor {name}, which a {config.ModelType} model of this shape needs");
            var want = t.Shape.Reverse().Select(x => (long)x).ToArray();
            if (!info.Dims.SequenceEqual(want))
                throw new DlmException($"{ggufPath}: tensor {name} has dims [{string.Join(", ", info.Dims)}], the metadata needs [{string.Join(", ", want)}]");
            sources.Add((t, info));
        }
        var tokenizer = file.Get("tokenizer.ggml.tokens") is null ? null : GgufTokenizerJson.Build(file, ggufPath);

        Directory.CreateDirectory(outFolder);
        var weights = new float[layout.Count];
        foreach (var (t, info) in sources)
        {
            var data = file.ReadFloat32(info);
            if (permuted && t.Name.Contains(".q_proj.", StringComparison.Ordinal)) data = LlamaCppArchitecture.Unpermute(data, t.Shape[0], config.Heads);
            else if (permuted && t.Name.Contains(".k_proj.", StringComparison.Ordinal)) data = LlamaCppArchitecture.Unpermute(data, t.Shape[0], config.KvHeads);
            data.CopyTo(weights.AsSpan(t.Offset, t.Length));
        }
        HfModelFolder.Save(outFolder, config, layout, weights);
        if (tokenizer is { } tk)
        {
            AtomicFile.WriteAllText(Path.Combine(outFolder, "tokenizer.json"), tk.TokenizerJson);
            AtomicFile.WriteAllText(Path.Combine(outFolder, "tokenizer_config.json"), tk.TokenizerConfigJson);
        }
        return new GgufImportResult(outFolder, config, sources.Count, tokenizer is not null);
    }

    /// <summary>The model configuration a GGUF file's metadata and tensors describe.</summary>
    public static ModelConfig ReadConfig(GgufFile file)
    {
        ArgumentNullException.ThrowIfNull(file);
        string path = file.Path;
        var arch = file.Get("general.architecture")?.AsString() ?? throw new DlmException($"{path}: no general.architecture");
        if (arch is not ("llama" or "qwen2" or "gpt2"))
            throw new DlmException($"{path}: architecture {arch} is not supported for import (dlm reads llama, qwen2, gpt2)");
        int U(string key, int? fallback = null)
        {
            var v = file.Get($"{arch}.{key}");
            if (v is null) return fallback ?? throw new DlmException($"{path}: missing {arch}.{key}");
            try { return checked((int)v.AsLong()); }
            catch (Exception e) when (e is InvalidOperationException or OverflowException) { throw new DlmException($"{path}: {arch}.{key} must be an integer"); }
        }
        float F(string key, float fallback)
        {
            var v = file.Get($"{arch}.{key}");
            try { return v is null ? fallback : (float)v.AsDouble(); }
            catch (InvalidOperationException) { throw new DlmException($"{path}: {arch}.{key} must be a number"); }
        }
        int vocab = file.Get("tokenizer.ggml.tokens")?.Value is string[] toks ? toks.Length
            : (int?)(file.Tensor("token_embd.weight")?.Dims[1]) ?? throw new DlmException($"{path}: no token_embd.weight");
        int d = U("embedding_length"), heads = U("attention.head_count");
        bool Has(string name) => file.Tensor(name) is not null;
        if (arch == "gpt2")
            return new ModelConfig
            {
                Family = ModelFamily.Gpt2, ModelType = "gpt2", VocabSize = vocab, ContextLength = U("context_length"), DModel = d, Layers = U("block_count"),
                Heads = heads, KvHeads = heads, DFf = U("feed_forward_length"), NormEps = F("attention.layer_norm_epsilon", 1e-5f),
                QkvBias = true, OutBias = true, MlpBias = true, TiedEmbeddings = true,
            }.Validate();
        bool niels = file.Get("dlm.model_type")?.Value is "niels";
        bool qkvBias = Has("blk.0.attn_q.bias"), outBias = Has("blk.0.attn_output.bias"), mlpBias = Has("blk.0.ffn_gate.bias");
        if (arch == "qwen2" && outBias) throw new DlmException($"{path}: a qwen2 model with an attention output bias has no Hugging Face config");
        if (arch == "llama" && !niels && qkvBias != outBias)
            throw new DlmException($"{path}: q/k/v biases without an output bias (or the reverse) have no Hugging Face llama config (attention_bias sets both)");
        RopeScaling? scaling = null;
        if (Has("rope_freqs.weight"))
        {
            var f = file.Get("dlm.rope_scaling.factor");
            if (f is null) throw new DlmException($"{path}: rope_freqs (Llama 3 rope scaling) without its parameters cannot be turned back into a rope_scaling config");
            scaling = new RopeScaling(f.AsDouble(), file.Get("dlm.rope_scaling.low_freq_factor")?.AsDouble() ?? 1.0,
                file.Get("dlm.rope_scaling.high_freq_factor")?.AsDouble() ?? 4.0,
                (int)(file.Get("dlm.rope_scaling.original_max_position_embeddings")?.AsLong() ?? 8192));
        }
        int keyLength = U("attention.key_length", 0);
        return new ModelConfig
        {
            Family = niels ? ModelFamily.Niels : ModelFamily.Llama,
            ModelType = niels ? "niels" : arch,
            VocabSize = vocab,
            ContextLength = U("context_length"),
            DModel = d,
            Layers = U("block_count"),
            Heads = heads,
            KvHeads = U("attention.head_count_kv", heads),
            DFf = U("feed_forward_length"),
            HeadDim = keyLength,
            NormEps = F("attention.layer_norm_rms_epsilon", 1e-5f),
            RopeTheta = F("rope.freq_base", 10000f),
            RopeScaling = scaling,
            QkvBias = qkvBias,
            OutBias = outBias,
            MlpBias = mlpBias,
            TiedEmbeddings = !Has("output.weight"),
        }.Validate();
    }
}

/// <summary>A Hugging Face tokenizer.json and tokenizer_config.json rebuilt from a GGUF file's vocabulary.</summary>
internal sealed record GgufTokenizerJson(string TokenizerJson, string TokenizerConfigJson)
{
    public static GgufTokenizerJson Build(GgufFile file, string path)
    {
        var model = file.Get("tokenizer.ggml.model")?.AsString();
        if (model != "gpt2") throw new DlmException($"{path}: tokenizer model {model ?? "(none)"} is not supported for import (dlm rebuilds byte-level BPE, \"gpt2\")");
        var pre = file.Get("tokenizer.ggml.pre")?.AsString() ?? "default";
        var tokens = file.Get("tokenizer.ggml.tokens")!.Value as string[] ?? throw new DlmException($"{path}: tokenizer.ggml.tokens must be a string array");
        var types = file.Get("tokenizer.ggml.token_type")?.Value as int[] ?? Enumerable.Repeat((int)GgufTokenType.Normal, tokens.Length).ToArray();
        var merges = file.Get("tokenizer.ggml.merges")?.Value as string[] ?? [];
        if (types.Length != tokens.Length) throw new DlmException($"{path}: {types.Length} token types for {tokens.Length} tokens");
        JsonNode preTokenizer = pre switch
        {
            "llama-bpe" => SplitThenByteLevel(GgufTokenizerMetadata.Llama3Regex),
            "qwen2" => SplitThenByteLevel(GgufTokenizerMetadata.Qwen2Regex),
            "gpt-2" => ByteLevel(useRegex: true),
            "smollm" => new JsonObject
            {
                ["type"] = "Sequence",
                ["pretokenizers"] = new JsonArray(new JsonObject { ["type"] = "Digits", ["individual_digits"] = true }, ByteLevel(useRegex: true)),
            },
            _ => throw new DlmException($"{path}: pre-tokenizer {pre} is not supported for import (dlm rebuilds llama-bpe, qwen2, smollm, gpt-2)"),
        };
        int Special(string key) => file.Get($"tokenizer.ggml.{key}_token_id") is { } v ? (int)v.AsLong() : -1;
        bool addBos = file.Get("tokenizer.ggml.add_bos_token")?.AsBool() ?? false;
        int bos = Special("bos"), eos = Special("eos"), pad = Special("padding");

        var vocab = new JsonObject();
        var added = new JsonArray();
        var decoderEntries = new JsonObject();
        for (int i = 0; i < tokens.Length; i++)
        {
            var type = (GgufTokenType)types[i];
            if (type == GgufTokenType.Unused) continue;
            if (type is GgufTokenType.Control or GgufTokenType.UserDefined)
            {
                bool special = type == GgufTokenType.Control;
                added.Add(new JsonObject
                {
                    ["id"] = i, ["content"] = tokens[i], ["single_word"] = false, ["lstrip"] = false, ["rstrip"] = false,
                    ["normalized"] = !special, ["special"] = special,
                });
                decoderEntries[i.ToString(System.Globalization.CultureInfo.InvariantCulture)] = new JsonObject
                {
                    ["content"] = tokens[i], ["lstrip"] = false, ["normalized"] = !special, ["rstrip"] = false, ["single_word"] = false, ["special"] = special,
                };
            }
            if (!vocab.ContainsKey(tokens[i])) vocab[tokens[i]] = i;
        }
        JsonNode postProcessor = addBos && bos >= 0
            ? new JsonObject
            {
                ["type"] = "TemplateProcessing",
                ["single"] = new JsonArray(new JsonObject { ["SpecialToken"] = new JsonObject { ["id"] = tokens[bos], ["type_id"] = 0 } },
                    new JsonObject { ["Sequence"] = new JsonObject { ["id"] = "A", ["type_id"] = 0 } }),
                ["pair"] = new JsonArray(new JsonObject { ["SpecialToken"] = new JsonObject { ["id"] = tokens[bos], ["type_id"] = 0 } },
                    new JsonObject { ["Sequence"] = new JsonObject { ["id"] = "A", ["type_id"] = 0 } },
                    new JsonObject { ["SpecialToken"] = new JsonObject { ["id"] = tokens[bos], ["type_id"] = 1 } },
                    new JsonObject { ["Sequence"] = new JsonObject { ["id"] = "B", ["type_id"] = 1 } }),
                ["special_tokens"] = new JsonObject { [tokens[bos]] = new JsonObject { ["id"] = tokens[bos], ["ids"] = new JsonArray(bos), ["tokens"] = new JsonArray(tokens[bos]) } },
            }
            : ByteLevel(useRegex: false);
        var root = new JsonObject
        {
            ["version"] = "1.0",
            ["truncation"] = null,
            ["padding"] = null,
            ["added_tokens"] = added,
            ["normalizer"] = pre == "qwen2" ? new JsonObject { ["type"] = "NFC" } : null,
            ["pre_tokenizer"] = preTokenizer,
            ["post_processor"] = postProcessor,
            ["decoder"] = ByteLevel(useRegex: true),
            ["model"] = new JsonObject
            {
                ["type"] = "BPE", ["dropout"] = null, ["unk_token"] = null, ["continuing_subword_prefix"] = null, ["end_of_word_suffix"] = null,
                ["fuse_unk"] = false, ["byte_fallback"] = false, ["ignore_merges"] = pre == "llama-bpe",
                ["vocab"] = vocab,
                ["merges"] = new JsonArray([.. merges.Select(m => (JsonNode)m)]),
            },
        };
        var config = new JsonObject
        {
            ["added_tokens_decoder"] = decoderEntries,
            ["bos_token"] = bos >= 0 ? tokens[bos] : null,
            ["eos_token"] = eos >= 0 ? tokens[eos] : null,
            ["pad_token"] = pad >= 0 ? tokens[pad] : null,
            ["add_bos_token"] = addBos,
            ["clean_up_tokenization_spaces"] = false,
            ["tokenizer_class"] = "PreTrainedTokenizerFast",
        };
        if (file.Get("tokenizer.chat_template")?.Value is string template) config["chat_template"] = template;
        var options = new JsonSerializerOptions { WriteIndented = true };
        return new GgufTokenizerJson(root.ToJsonString(options), config.ToJsonString(options));
    }

    private static JsonObject ByteLevel(bool useRegex) => new()
    {
        ["type"] = "ByteLevel", ["add_prefix_space"] = false, ["trim_offsets"] = true, ["use_regex"] = useRegex,
    };

    private static JsonObject SplitThenByteLevel(string regex) => new()
    {
        ["type"] = "Sequence",
        ["pretokenizers"] = new JsonArray(
            new JsonObject { ["type"] = "Split", ["pattern"] = new JsonObject { ["Regex"] = regex }, ["behavior"] = "Isolated", ["invert"] = false },
            ByteLevel(useRegex: false)),
    };
}
