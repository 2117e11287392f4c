using Dlm.Models.Config;
using Dlm.Models.IO;
using Dlm.Models.Transformer;
using Dlm.TestSupport;

namespace Dlm.Models.Tests.IO.Gguf;

/// <summary>
/// Tiny Hugging Face model folders with random weights and a real tokenizer, one per layout the
/// exporter handles, written under a temporary folder.
/// </summary>
public static class TinyModels
{
    /// <summary>The dlm-trained byte-level BPE fixture (2000 tokens, GPT-2 pre-tokenizer).</summary>
    public static string SmallBpe => Path.Combine(RepoPaths.Root, "tests", "fixtures", "bpe");

    /// <summary>A folder holding a model of <paramref name="family"/> ("llama3", "smollm", "qwen2", "gpt2", "niels").</summary>
    public static string Create(string family, string root, ulong seed = 7)
    {
        var (config, tokenizer) = family switch
        {
            // Llama 3 layout: GQA, untied head, llama3 rope scaling, the real Llama 3 tokenizer.
            "llama3" => (Llama("llama", 128256, tied: false) with
            {
                RopeTheta = 500000.0,
                RopeScaling = new RopeScaling(8.0, 1.0, 4.0, 16),
            }, ReferenceData.TokenizerFolder("llama3")),
            // SmolLM2 layout: GQA, tied head (with a small trained tokenizer).
            "smollm" => (Llama("llama", 2000, tied: true), SmallBpe),
            // Qwen2.5 layout: qkv biases, tied head, the real Qwen tokenizer (qwen2 pre-tokenizer).
            "qwen2" => (Llama("qwen2", 151680, tied: true) with { QkvBias = true, RopeTheta = 1000000.0, NormEps = 1e-6f }, ReferenceData.TokenizerFolder("qwen3")),
            "gpt2" => (new ModelConfig
            {
                Family = ModelFamily.Gpt2, ModelType = "gpt2", VocabSize = 2000, ContextLength = 64, DModel = 32, Layers = 2, Heads = 4, KvHeads = 4, DFf = 128,
                QkvBias = true, OutBias = true, MlpBias = true, TiedEmbeddings = true,
            }, SmallBpe),
            "niels" => (ModelConfig.NielsDefault(64) with { VocabSize = 2000, DModel = 32, Layers = 2, Heads = 4, KvHeads = 4, DFf = 64, Dropout = 0f }, SmallBpe),
            _ => throw new ArgumentException($"no tiny model {family}", nameof(family)),
        };
        var folder = Path.Combine(root, family);
        Directory.CreateDirectory(folder);
        var layout = new ParameterLayout(config);
        var weights = RandomWeights(layout, seed);
        HfModelFolder.Save(folder, config, layout, weights);
        foreach (var f in new[] { "tokenizer.json", "tokenizer_config.json" })
            File.Copy(Path.Combine(tokenizer, f), Path.Combine(folder, f), overwrite: true);
        return folder;
    }

    private static ModelConfig Llama(string type, int vocab, bool tied) => new()
    {
        Family = ModelFamily.Llama, ModelType = type, VocabSize = vocab, ContextLength = 64, DModel = 32, Layers = 2, Heads = 4, KvHeads = 2, DFf = 64,
        NormEps = 1e-5f, TiedEmbeddings = tied,
    };

    /// <summary>Weights large enough that the logits are far from uniform: N(0, 0.3) matrices, norms 1 ± 0.2, biases N(0, 0.1).</summary>
    public static float[] RandomWeights(ParameterLayout layout, ulong seed)
    {
        var w = new float[layout.Count];
        var rng = new Random((int)seed);
        double Gauss() => Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());
        foreach (var t in layout.Tensors)
        {
            var s = w.AsSpan(t.Offset, t.Length);
            bool norm = t.Shape.Length == 1 && (t.Name.Contains("norm", StringComparison.Ordinal) || t.Name.Contains("ln_", StringComparison.Ordinal)) && t.Name.EndsWith(".weight", StringComparison.Ordinal);
            for (int i = 0; i < s.Length; i++)
                s[i] = norm ? (float)(1 + 0.2 * Gauss()) : t.Shape.Length == 1 ? (float)(0.1 * Gauss()) : (float)(0.3 * Gauss());
        }
        return w;
    }
}
