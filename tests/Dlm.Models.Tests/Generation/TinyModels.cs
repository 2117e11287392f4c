using Dlm.Models.Config;
using Dlm.Models.Lora;
using Dlm.Models.Tests.Transformer;
using Dlm.Models.Transformer;

namespace Dlm.Models.Tests.Generation;

/// <summary>Tiny random models of the four families (GQA for llama, MQA for qwen2) for the generation tests.</summary>
internal static class TinyModels
{
    public static readonly string[] Families = ["llama", "qwen2", "gpt2", "niels"];

    public static ModelConfig Config(string family) => family switch
    {
        "llama" => new ModelConfig
        {
            Family = ModelFamily.Llama, ModelType = "llama", VocabSize = 23, ContextLength = 40, DModel = 16, Layers = 2, Heads = 4, KvHeads = 2,
            DFf = 24, RopeTheta = 500000, RopeScaling = new RopeScaling(8, 1, 4, 16),
        },
        "qwen2" => new ModelConfig
        {
            Family = ModelFamily.Llama, ModelType = "qwen2", VocabSize = 23, ContextLength = 40, DModel = 16, Layers = 2, Heads = 4, KvHeads = 1,
            DFf = 24, QkvBias = true, TiedEmbeddings = true, RopeTheta = 1000000, NormEps = 1e-6f,
        },
        "gpt2" => new ModelConfig
        {
            Family = ModelFamily.Gpt2, ModelType = "gpt2", VocabSize = 23, ContextLength = 40, DModel = 16, Layers = 2, Heads = 2, KvHeads = 2,
            DFf = 64, QkvBias = true, OutBias = true, MlpBias = true, TiedEmbeddings = true,
        },
        "niels" => new ModelConfig
        {
            Family = ModelFamily.Niels, ModelType = "niels", VocabSize = 23, ContextLength = 40, DModel = 16, Layers = 2, Heads = 2, KvHeads = 2,
            DFf = 48, MlpBias = true, TiedEmbeddings = true,
        },
        _ => throw new ArgumentException(family),
    };

    /// <summary>A model with random weights (large enough that greedy choices are not ties), inference buffers for the full context.</summary>
    public static TransformerModel Model(string family, int seed = 1, LoraConfig? lora = null)
    {
        var cfg = Config(family);
        var model = new TransformerModel(cfg, 1, cfg.ContextLength, lora, inferenceOnly: true);
        model.InitializeWeights((ulong)seed);
        ModelGradientTests.Randomize(model.Weights, seed + 10, 0.5f);
        if (lora is not null) ModelGradientTests.Randomize(model.TrainableWeights, seed + 20, 0.3f);
        return model;
    }

    /// <summary>Logits after the last token of <paramref name="tokens"/>, by a full forward pass of the training model (no cache).</summary>
    public static float[] LastLogits(TransformerModel model, IReadOnlyList<int> tokens)
    {
        int t = tokens.Count, v = model.Config.VocabSize;
        model.Forward(tokens.ToArray(), [], [], 1, t, training: false);
        return model.Logits.Slice((t - 1) * v, v).ToArray();
    }

    public static int ArgMax(ReadOnlySpan<float> x)
    {
        int best = 0;
        for (int i = 1; i < x.Length; i++) if (x[i] > x[best]) best = i;
        return best;
    }

    public static float MaxAbsDiff(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        float m = 0;
        for (int i = 0; i < a.Length; i++) m = Math.Max(m, Math.Abs(a[i] - b[i]));
        return m;
    }
}
