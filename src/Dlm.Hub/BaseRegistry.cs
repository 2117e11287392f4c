namespace Dlm.Hub;

/// <summary>
/// The known pretrained bases, keys and pins as upstream DocumentLanguageModel has them
/// (shared/REFERENCE.md R2). Revisions are pinned so a training run is reproducible.
/// </summary>
public static class BaseRegistry
{
    /// <summary>LoRA targets for every registry base: q/k/v/o projections of attention.</summary>
    public static readonly IReadOnlyList<string> AttentionProjections = ["q_proj", "k_proj", "v_proj", "o_proj"];

    private const int SmolContext = 8192, QwenContext = 32768, LlamaContext = 131072;

    /// <summary>Every entry, in the order `dlm models` lists them.</summary>
    public static IReadOnlyList<BaseModelEntry> All { get; } =
    [
        new("smollm2-135m", "HuggingFaceTB/SmolLM2-135M-Instruct", "12fd25f77366fa6b3b4b768ec3050bf629380bac", "chatml", SmolContext, "apache-2.0", false),
        new("smollm2-360m", "HuggingFaceTB/SmolLM2-360M-Instruct", "a10cc1512eabd3dde888204e902eca88bddb4951", "chatml", SmolContext, "apache-2.0", false),
        new("smollm2-1.7b", "HuggingFaceTB/SmolLM2-1.7B-Instruct", "31b70e2e869a7173562077fd711b654946d38674", "chatml", SmolContext, "apache-2.0", false),
        new("qwen2.5-0.5b", "Qwen/Qwen2.5-0.5B-Instruct", "7ae557604adf67be50417f59c2c2f167def9a775", "chatml", QwenContext, "apache-2.0", false),
        new("qwen2.5-1.5b", "Qwen/Qwen2.5-1.5B-Instruct", "989aa7980e4cf806f80c7fef2b1adb7bc71aa306", "chatml", QwenContext, "apache-2.0", false),
        new("qwen2.5-3b", "Qwen/Qwen2.5-3B-Instruct", "aa8e72537993ba99e69dfaafa59ed015b17504d1", "chatml", QwenContext, "qwen-research", false),
        new("qwen2.5-coder-1.5b", "Qwen/Qwen2.5-Coder-1.5B-Instruct", "2e1fd397ee46e1388853d2af2c993145b0f1098a", "chatml", QwenContext, "apache-2.0", false),
        new("qwen3-1.7b", "Qwen/Qwen3-1.7B", "70d244cc86ccca08cf5af4e1e306ecf908b1ad5e", "qwen3", QwenContext, "apache-2.0", false),
        new("qwen3-4b", "Qwen/Qwen3-4B", "1cfa9a7208912126459214e8b04321603b3df60c", "qwen3", QwenContext, "apache-2.0", false),
        new("qwen3-8b", "Qwen/Qwen3-8B", "b968826d9c46dd6066d109eabc6255188de91218", "qwen3", QwenContext, "apache-2.0", false),
        new("llama-3.2-1b", "meta-llama/Llama-3.2-1B-Instruct", "9213176726f574b556790deb65791e0c5aa438b6", "llama3", LlamaContext, "llama3.2", true),
        new("llama-3.2-3b", "meta-llama/Llama-3.2-3B-Instruct", "0cb88a4f764b7a12671c53f0838cd831a0843b95", "llama3", LlamaContext, "llama3.2", true),
    ];

    /// <summary>The entry for <paramref name="key"/> (case-insensitive), or null.</summary>
    public static BaseModelEntry? Find(string key) =>
        All.FirstOrDefault(e => string.Equals(e.Key, key, StringComparison.OrdinalIgnoreCase));
}
