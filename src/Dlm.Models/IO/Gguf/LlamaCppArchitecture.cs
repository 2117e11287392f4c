using Dlm.Core;
using Dlm.Models.Config;
using Dlm.Models.Layers;
using Dlm.Models.Transformer;

namespace Dlm.Models.IO.Gguf;

/// <summary>One GGUF tensor and where its values come from in dlm's parameter layout.</summary>
/// <param name="Name">GGUF name (<c>blk.0.attn_q.weight</c>).</param>
/// <param name="Source">The layout tensor read for it; null for generated tensors (rope_freqs).</param>
/// <param name="PermuteHeads">For llama's q/k: the head count of llama.cpp's row permutation (0 for none).</param>
/// <param name="Generated">Values of a generated tensor.</param>
internal sealed record GgufTensorPlan(string Name, ParameterTensor? Source, int PermuteHeads, float[]? Generated = null);

/// <summary>
/// How a dlm model maps onto one of llama.cpp's architectures, as <c>convert_hf_to_gguf.py</c>
/// maps the Hugging Face original: llama (LlamaModel: q/k rows permuted from the split-half
/// RoPE layout to llama.cpp's interleaved one, <c>rope_freqs</c> for Llama-3 scaling), qwen2
/// (Qwen2Model: NeoX RoPE, no permutation) and gpt2 (GPT2Model: fused qkv, output tied by a
/// copy). niels models are exported as llama: llama.cpp's llama graph is RMSNorm, interleaved
/// ("normal") RoPE, SwiGLU with optional biases on all three MLP linears and an optional output
/// falling back to the token embedding — exactly niels, with no permutation since niels already
/// rotates interleaved pairs.
/// </summary>
internal static class LlamaCppArchitecture
{
    /// <summary>The llama.cpp architecture name for <paramref name="c"/>; refuses configs llama.cpp cannot compute.</summary>
    public static string Name(ModelConfig c) => c.Family switch
    {
        ModelFamily.Gpt2 => "gpt2",
        ModelFamily.Niels => "llama",
        ModelFamily.Llama when c.ModelType == "qwen2" => c.RopeScaling is null
            ? "qwen2"
            : throw new DlmException("qwen2 with llama3 rope_scaling is not supported for GGUF export: llama.cpp's qwen2 graph reads no rope_freqs"),
        ModelFamily.Llama => "llama",
        _ => throw new DlmException($"model family {c.Family} has no llama.cpp architecture"),
    };

    /// <summary>The architecture metadata (<c>general.*</c> and <c>{arch}.*</c>), in the converter's order.</summary>
    public static List<KeyValuePair<string, GgufValue>> Metadata(ModelConfig c, string modelName, GgmlType type)
    {
        string arch = Name(c);
        var m = new List<KeyValuePair<string, GgufValue>>
        {
            new("general.architecture", GgufValue.Str(arch)),
            new("general.type", GgufValue.Str("model")),
            new("general.name", GgufValue.Str(modelName)),
            new($"{arch}.block_count", GgufValue.U32((uint)c.Layers)),
            new($"{arch}.context_length", GgufValue.U32((uint)c.ContextLength)),
            new($"{arch}.embedding_length", GgufValue.U32((uint)c.DModel)),
            new($"{arch}.feed_forward_length", GgufValue.U32((uint)c.DFf)),
            new($"{arch}.attention.head_count", GgufValue.U32((uint)c.Heads)),
        };
        if (c.Family == ModelFamily.Gpt2)
        {
            m.Add(new($"{arch}.attention.layer_norm_epsilon", GgufValue.F32(c.NormEps)));
        }
        else
        {
            m.Add(new($"{arch}.attention.head_count_kv", GgufValue.U32((uint)c.KvHeads)));
            m.Add(new($"{arch}.rope.freq_base", GgufValue.F32((float)c.RopeTheta)));
            m.Add(new($"{arch}.attention.layer_norm_rms_epsilon", GgufValue.F32(c.NormEps)));
            if (c.HeadDim > 0)
            {
                m.Add(new($"{arch}.attention.key_length", GgufValue.U32((uint)c.HeadDim)));
                m.Add(new($"{arch}.attention.value_length", GgufValue.U32((uint)c.HeadDim)));
            }
        }
        m.Add(new("general.file_type", GgufValue.U32(GgmlTypes.FileType(type))));
        if (arch == "llama")
        {
            m.Add(new($"{arch}.vocab_size", GgufValue.U32((uint)c.VocabSize)));
            m.Add(new($"{arch}.rope.dimension_count", GgufValue.U32((uint)c.ResolvedHeadDim)));
        }
        // What the converter's keys cannot carry back to a Hugging Face config, under dlm's own
        // prefix (llama.cpp ignores keys it does not know): niels was exported as llama without
        // the q/k permutation, and Llama-3 rope scaling becomes a rope_freqs tensor.
        if (c.Family == ModelFamily.Niels) m.Add(new("dlm.model_type", GgufValue.Str("niels")));
        if (c.RopeScaling is { } rs)
        {
            m.Add(new("dlm.rope_scaling.factor", GgufValue.F64(rs.Factor)));
            m.Add(new("dlm.rope_scaling.low_freq_factor", GgufValue.F64(rs.LowFreqFactor)));
            m.Add(new("dlm.rope_scaling.high_freq_factor", GgufValue.F64(rs.HighFreqFactor)));
            m.Add(new("dlm.rope_scaling.original_max_position_embeddings", GgufValue.U32((uint)rs.OriginalMaxPositionEmbeddings)));
        }
        m.Add(new("general.quantization_version", GgufValue.U32(2)));
        return m;
    }

    /// <summary>Every tensor of the GGUF file, in write order.</summary>
    public static List<GgufTensorPlan> Tensors(ParameterLayout layout)
    {
        var c = layout.Config;
        string arch = Name(c);
        var plan = new List<GgufTensorPlan>();
        if (c.RopeScaling is { } rs && arch == "llama") plan.Add(new("rope_freqs.weight", null, 0, RopeFactors(c, rs)));
        foreach (var t in layout.Tensors)
        {
            var name = c.Family == ModelFamily.Gpt2 ? Gpt2Name(t.Name) : LlamaName(t.Name);
            int permute = 0;
            if (c.Family == ModelFamily.Llama && arch == "llama")
            {
                if (t.Name.Contains(".q_proj.", StringComparison.Ordinal)) permute = c.Heads;
                else if (t.Name.Contains(".k_proj.", StringComparison.Ordinal)) permute = c.KvHeads;
            }
            plan.Add(new(name, t, permute));
            // GPT2Model: "GPT2 output is tied to (same as) wte in original model" — written as a copy.
            if (c.Family == ModelFamily.Gpt2 && name == "token_embd.weight") plan.Add(new("output.weight", t, 0));
        }
        return plan;
    }

    /// <summary>
    /// The storage type of one tensor when the file's type is <paramref name="fileType"/>, by the
    /// converter's rules: 1-D tensors, norms and position embeddings stay F32; a Q8_0 tensor
    /// whose rows are not whole blocks falls back to F16.
    /// </summary>
    public static GgmlType StorageType(string name, long[] dims, GgmlType fileType)
    {
        if (dims.Length <= 1 || name.EndsWith("_norm.weight", StringComparison.Ordinal) || name == "position_embd.weight") return GgmlType.F32;
        if (fileType == GgmlType.Q8_0 && dims[0] % GgmlTypes.Q8BlockSize != 0) return GgmlType.F16;
        return fileType;
    }

    /// <summary>
    /// llama.cpp's q/k row order (LlamaModel.permute): within each head, rows (i, i + hd/2) of the
    /// split-half layout become rows (2i, 2i + 1). Works on weights [rows, cols] and biases [rows].
    /// </summary>
    public static float[] Permute(float[] w, int rows, int heads)
    {
        int cols = w.Length / rows, hd = rows / heads, half = hd / 2;
        var result = new float[w.Length];
        for (int h = 0; h < heads; h++)
            for (int i = 0; i < half; i++)
                for (int j = 0; j < 2; j++)
                    Array.Copy(w, (long)(h * hd + j * half + i) * cols, result, (long)(h * hd + 2 * i + j) * cols, cols);
        return result;
    }

    /// <summary>The inverse of <see cref="Permute"/>.</summary>
    public static float[] Unpermute(float[] w, int rows, int heads)
    {
        int cols = w.Length / rows, hd = rows / heads, half = hd / 2;
        var result = new float[w.Length];
        for (int h = 0; h < heads; h++)
            for (int i = 0; i < half; i++)
                for (int j = 0; j < 2; j++)
                    Array.Copy(w, (long)(h * hd + 2 * i + j) * cols, result, (long)(h * hd + j * half + i) * cols, cols);
        return result;
    }

    /// <summary>LlamaModel.generate_extra_tensors: per-frequency divisors for Llama-3 rope scaling.</summary>
    private static float[] RopeFactors(ModelConfig c, RopeScaling rs)
    {
        // float32 throughout, as the converter's torch arithmetic is.
        var freqs = Rope.InverseFrequencies(c.ResolvedHeadDim, c.RopeTheta, null);
        float factor = (float)rs.Factor, lowF = (float)rs.LowFreqFactor, highF = (float)rs.HighFreqFactor, old = rs.OriginalMaxPositionEmbeddings;
        float low = old / lowF, high = old / highF;
        var result = new float[freqs.Length];
        for (int i = 0; i < freqs.Length; i++)
        {
            float wavelen = (float)(2 * Math.PI) / (float)freqs[i];
            if (wavelen < high) result[i] = 1f;
            else if (wavelen > low) result[i] = factor;
            else
            {
                float smooth = (old / wavelen - lowF) / (highF - lowF);
                result[i] = 1f / ((1f - smooth) / factor + smooth);
            }
        }
        return result;
    }

    /// <summary>The GGUF name of a layout tensor of <paramref name="c"/>.</summary>
    public static string GgufName(ModelConfig c, string hf) => c.Family == ModelFamily.Gpt2 ? Gpt2Name(hf) : LlamaName(hf);

    private static string LlamaName(string hf)
    {
        if (hf == "model.embed_tokens.weight") return "token_embd.weight";
        if (hf == "model.norm.weight") return "output_norm.weight";
        if (hf == "lm_head.weight") return "output.weight";
        var parts = hf.Split('.');
        // model.layers.{i}.{module...}.{weight|bias}
        if (parts.Length >= 5 && parts[0] == "model" && parts[1] == "layers")
        {
            string module = string.Join('.', parts[3..^1]);
            string gguf = module switch
            {
                "input_layernorm" => "attn_norm",
                "self_attn.q_proj" => "attn_q",
                "self_attn.k_proj" => "attn_k",
                "self_attn.v_proj" => "attn_v",
                "self_attn.o_proj" => "attn_output",
                "post_attention_layernorm" => "ffn_norm",
                "mlp.gate_proj" => "ffn_gate",
                "mlp.up_proj" => "ffn_up",
                "mlp.down_proj" => "ffn_down",
                _ => throw new DlmException($"tensor {hf} has no llama.cpp name"),
            };
            return $"blk.{parts[2]}.{gguf}.{parts[^1]}";
        }
        throw new DlmException($"tensor {hf} has no llama.cpp name");
    }

    private static string Gpt2Name(string hf)
    {
        if (hf == "wte.weight") return "token_embd.weight";
        if (hf == "wpe.weight") return "position_embd.weight";
        if (hf.StartsWith("ln_f.", StringComparison.Ordinal)) return "output_norm." + hf[5..];
        var parts = hf.Split('.');
        if (parts.Length >= 4 && parts[0] == "h")
        {
            string module = string.Join('.', parts[2..^1]);
            string gguf = module switch
            {
                "ln_1" => "attn_norm",
                "attn.c_attn" => "attn_qkv",
                "attn.c_proj" => "attn_output",
                "ln_2" => "ffn_norm",
                "mlp.c_fc" => "ffn_up",
                "mlp.c_proj" => "ffn_down",
                _ => throw new DlmException($"tensor {hf} has no llama.cpp name"),
            };
            return $"blk.{parts[1]}.{gguf}.{parts[^1]}";
        }
        throw new DlmException($"tensor {hf} has no llama.cpp name");
    }
}
