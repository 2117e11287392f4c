namespace Dlm.Models.Config;

/// <summary>The three decoder-only architectures dlm trains.</summary>
public enum ModelFamily
{
    /// <summary>niels-gpt: RMSNorm, interleaved RoPE, SwiGLU with biases, tied embeddings.</summary>
    Niels,
    /// <summary>Llama / SmolLM2 / Qwen2: RMSNorm, split-half RoPE, GQA, SwiGLU, optional qkv bias.</summary>
    Llama,
    /// <summary>GPT-2: LayerNorm with biases, learned positions, GELU (tanh), biases everywhere.</summary>
    Gpt2,
}

/// <summary>Llama-3 style RoPE frequency scaling (Hugging Face <c>rope_scaling</c> with <c>rope_type: llama3</c>).</summary>
/// <param name="Factor">Divisor of the low frequencies.</param>
/// <param name="LowFreqFactor">Wavelengths above <c>original / low</c> are scaled fully.</param>
/// <param name="HighFreqFactor">Wavelengths below <c>original / high</c> are left alone.</param>
/// <param name="OriginalMaxPositionEmbeddings">The context length the model was pretrained with.</param>
public sealed record RopeScaling(double Factor, double LowFreqFactor, double HighFreqFactor, int OriginalMaxPositionEmbeddings);

/// <summary>
/// Everything that fixes the shape and the math of a model. One record for every family;
/// the family chooses norms, positions, MLP and RoPE layout, the flags the rest.
/// </summary>
public sealed record ModelConfig
{
    /// <summary>Architecture family.</summary>
    public required ModelFamily Family { get; init; }

    /// <summary>The Hugging Face <c>model_type</c> written to config.json (<c>niels</c>, <c>llama</c>, <c>qwen2</c>, <c>gpt2</c>).</summary>
    public required string ModelType { get; init; }

    /// <summary>Vocabulary size V.</summary>
    public required int VocabSize { get; init; }

    /// <summary>Longest sequence the model accepts (positions table size for GPT-2).</summary>
    public required int ContextLength { get; init; }

    /// <summary>Residual width C.</summary>
    public required int DModel { get; init; }

    /// <summary>Number of transformer blocks L.</summary>
    public required int Layers { get; init; }

    /// <summary>Number of query heads.</summary>
    public required int Heads { get; init; }

    /// <summary>Number of key/value heads (GQA); equals <see cref="Heads"/> for plain multi-head attention.</summary>
    public required int KvHeads { get; init; }

    /// <summary>Hidden width of the MLP.</summary>
    public required int DFf { get; init; }

    /// <summary>Width of one attention head; <c>DModel / Heads</c> unless the config says otherwise.</summary>
    public int HeadDim { get; init; }

    /// <summary>Epsilon of RMSNorm / LayerNorm.</summary>
    public float NormEps { get; init; } = 1e-5f;

    /// <summary>RoPE base (ignored by GPT-2).</summary>
    public double RopeTheta { get; init; } = 10000.0;

    /// <summary>Optional Llama-3 frequency scaling.</summary>
    public RopeScaling? RopeScaling { get; init; }

    /// <summary>Biases on the q, k and v projections (Qwen2, GPT-2).</summary>
    public bool QkvBias { get; init; }

    /// <summary>Bias on the attention output projection (GPT-2).</summary>
    public bool OutBias { get; init; }

    /// <summary>Biases on the MLP linears (niels, GPT-2).</summary>
    public bool MlpBias { get; init; }

    /// <summary>The LM head shares the token embedding matrix.</summary>
    public bool TiedEmbeddings { get; init; }

    /// <summary>Residual dropout probability used in training (0 disables; always off in eval).</summary>
    public float Dropout { get; init; }

    /// <summary>Width of one head, resolved.</summary>
    public int ResolvedHeadDim => HeadDim > 0 ? HeadDim : DModel / Heads;

    /// <summary>Whether RoPE rotates interleaved (even, odd) pairs (niels) rather than split halves (Hugging Face).</summary>
    public bool RopeInterleaved => Family == ModelFamily.Niels;

    /// <summary>Throws <see cref="Dlm.Core.DlmException"/> when the shape is inconsistent.</summary>
    public ModelConfig Validate()
    {
        static void Require(bool ok, string what)
        {
            if (!ok) throw new Dlm.Core.DlmException($"model config: {what}");
        }
        Require(VocabSize > 0, $"vocab size must be positive, not {VocabSize}");
        Require(ContextLength > 0, $"context length must be positive, not {ContextLength}");
        Require(DModel > 0 && Layers > 0 && Heads > 0 && KvHeads > 0 && DFf > 0, "d_model, layers, heads, kv heads and d_ff must be positive");
        Require(Heads % KvHeads == 0, $"heads ({Heads}) must be a multiple of kv heads ({KvHeads})");
        Require(HeadDim > 0 || DModel % Heads == 0, $"d_model ({DModel}) must be a multiple of heads ({Heads})");
        Require(Family == ModelFamily.Gpt2 || ResolvedHeadDim % 2 == 0, $"head dim ({ResolvedHeadDim}) must be even for RoPE");
        Require(Family != ModelFamily.Gpt2 || KvHeads == Heads, "gpt2 has no grouped-query attention");
        Require(Dropout is >= 0f and < 1f, $"dropout must lie in [0, 1), not {Dropout}");
        Require(NormEps > 0, "norm eps must be positive");
        return this;
    }

    /// <summary>The niels-gpt default model (REFERENCE.md R1): V=16000, C=384, L=8, H=6, d_ff=1152.</summary>
    public static ModelConfig NielsDefault(int contextLength = 256) => new()
    {
        Family = ModelFamily.Niels,
        ModelType = "niels",
        VocabSize = 16000,
        ContextLength = contextLength,
        DModel = 384,
        Layers = 8,
        Heads = 6,
        KvHeads = 6,
        DFf = 1152,
        NormEps = 1e-5f,
        RopeTheta = 10000.0,
        MlpBias = true,
        TiedEmbeddings = true,
        Dropout = 0.1f,
    };
}
