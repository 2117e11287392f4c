using Dlm.Models.Config;

namespace Dlm.Models.Transformer;

/// <summary>
/// One named tensor inside a flat parameter arena.
/// </summary>
/// <param name="Name">Hugging Face name, e.g. <c>model.layers.0.self_attn.q_proj.weight</c> or <c>h.0.attn.c_attn.weight</c>.</param>
/// <param name="Offset">First element in the arena.</param>
/// <param name="Shape">Shape as stored in the arena (linear weights are [out, in]).</param>
/// <param name="Transposed">The file stores the transpose (GPT-2 Conv1D weights are [in, out]).</param>
/// <param name="Decay">AdamW applies weight decay (linear weights; not norms, biases, embeddings).</param>
public sealed record ParameterTensor(string Name, int Offset, int[] Shape, bool Transposed, bool Decay)
{
    /// <summary>Number of elements.</summary>
    public int Length => Shape.Aggregate(1, (a, b) => a * b);

    /// <summary>Shape as stored in a Hugging Face file.</summary>
    public int[] FileShape => Transposed ? [Shape[1], Shape[0]] : Shape;
}

/// <summary>Arena offsets of one block's tensors; −1 where the family has no such tensor.</summary>
internal readonly record struct BlockOffsets(int Norm1W, int Norm1B, int QkvW, int QkvB, int OutW, int OutB,
    int Norm2W, int Norm2B, int FcW, int FcB, int ProjW, int ProjB);

/// <summary>
/// Where every parameter of a model lives in one flat float arena, named as Hugging Face names
/// them. Tensors that one GEMM consumes together are adjacent: q|k|v weights (and biases) form
/// one [(H + 2·KV)·hd, C] matrix, gate|up one [2·F, C] matrix.
/// </summary>
public sealed class ParameterLayout
{
    private readonly Dictionary<string, ParameterTensor> _byName = new(StringComparer.Ordinal);
    private readonly List<ParameterTensor> _tensors = [];

    internal BlockOffsets[] Blocks { get; }
    internal int Wte { get; }
    internal int Wpe { get; } = -1;
    internal int NormFW { get; }
    internal int NormFB { get; } = -1;
    internal int Head { get; }

    /// <summary>Every tensor in arena order.</summary>
    public IReadOnlyList<ParameterTensor> Tensors => _tensors;

    /// <summary>Total number of floats.</summary>
    public int Count { get; private set; }

    /// <summary>The configuration this layout was built for.</summary>
    public ModelConfig Config { get; }

    /// <summary>Looks a tensor up by its Hugging Face name.</summary>
    public bool TryGet(string name, out ParameterTensor tensor) => _byName.TryGetValue(name, out tensor!);

    /// <summary>Builds the layout of <paramref name="config"/>.</summary>
    public ParameterLayout(ModelConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        Config = config.Validate();
        int c = config.DModel, v = config.VocabSize, f = config.DFf, hd = config.ResolvedHeadDim;
        int qd = config.Heads * hd, kvd = config.KvHeads * hd;
        Blocks = new BlockOffsets[config.Layers];
        if (config.Family == ModelFamily.Gpt2)
        {
            Wte = Add("wte.weight", [v, c]);
            Wpe = Add("wpe.weight", [config.ContextLength, c]);
            for (int l = 0; l < config.Layers; l++)
            {
                string p = $"h.{l}.";
                int n1w = Add(p + "ln_1.weight", [c]), n1b = Add(p + "ln_1.bias", [c]);
                int qkvW = Add(p + "attn.c_attn.weight", [3 * c, c], transposed: true), qkvB = Add(p + "attn.c_attn.bias", [3 * c]);
                int oW = Add(p + "attn.c_proj.weight", [c, c], transposed: true), oB = Add(p + "attn.c_proj.bias", [c]);
                int n2w = Add(p + "ln_2.weight", [c]), n2b = Add(p + "ln_2.bias", [c]);
                int fcW = Add(p + "mlp.c_fc.weight", [f, c], transposed: true), fcB = Add(p + "mlp.c_fc.bias", [f]);
                int prW = Add(p + "mlp.c_proj.weight", [c, f], transposed: true), prB = Add(p + "mlp.c_proj.bias", [c]);
                Blocks[l] = new(n1w, n1b, qkvW, qkvB, oW, oB, n2w, n2b, fcW, fcB, prW, prB);
            }
            NormFW = Add("ln_f.weight", [c]);
            NormFB = Add("ln_f.bias", [c]);
            Head = Wte;
            return;
        }
        Wte = Add("model.embed_tokens.weight", [v, c]);
        for (int l = 0; l < config.Layers; l++)
        {
            string p = $"model.layers.{l}.";
            int n1w = Add(p + "input_layernorm.weight", [c]);
            int qkvW = Add(p + "self_attn.q_proj.weight", [qd, c]);
            Add(p + "self_attn.k_proj.weight", [kvd, c]);
            Add(p + "self_attn.v_proj.weight", [kvd, c]);
            int qkvB = -1;
            if (config.QkvBias)
            {
                qkvB = Add(p + "self_attn.q_proj.bias", [qd]);
                Add(p + "self_attn.k_proj.bias", [kvd]);
                Add(p + "self_attn.v_proj.bias", [kvd]);
            }
            int oW = Add(p + "self_attn.o_proj.weight", [c, qd]);
            int oB = config.OutBias ? Add(p + "self_attn.o_proj.bias", [c]) : -1;
            int n2w = Add(p + "post_attention_layernorm.weight", [c]);
            int fcW = Add(p + "mlp.gate_proj.weight", [f, c]);
            Add(p + "mlp.up_proj.weight", [f, c]);
            int fcB = -1;
            if (config.MlpBias)
            {
                fcB = Add(p + "mlp.gate_proj.bias", [f]);
                Add(p + "mlp.up_proj.bias", [f]);
            }
            int prW = Add(p + "mlp.down_proj.weight", [c, f]);
            int prB = config.MlpBias ? Add(p + "mlp.down_proj.bias", [c]) : -1;
            Blocks[l] = new(n1w, -1, qkvW, qkvB, oW, oB, n2w, -1, fcW, fcB, prW, prB);
        }
        NormFW = Add("model.norm.weight", [c]);
        Head = config.TiedEmbeddings ? Wte : Add("lm_head.weight", [v, c]);
    }

    private int Add(string name, int[] shape, bool transposed = false)
    {
        bool isEmbedding = name.Contains("embed_tokens", StringComparison.Ordinal) || name is "wte.weight" or "wpe.weight";
        bool decay = shape.Length == 2 && !isEmbedding;
        var t = new ParameterTensor(name, Count, shape, transposed, decay);
        _tensors.Add(t);
        _byName.Add(name, t);
        Count = checked(Count + t.Length);
        return t.Offset;
    }
}
