namespace Dlm.Training.Client;

/// <summary>How a <see cref="LocalTrainingClient"/> is set up.</summary>
public sealed record LocalTrainingOptions
{
    /// <summary>A Hugging Face model folder (llama, qwen2, gpt2, niels: config.json + safetensors + tokenizer.json), or <c>preset:NAME</c> (<see cref="ModelPresets"/>).</summary>
    public required string BaseModel { get; init; }

    /// <summary>Where the tokenizer is (a tokenizer.json or a folder holding one); null means the model folder. Required for a preset.</summary>
    public string? TokenizerPath { get; init; }

    /// <summary>LoRA rank; 0 trains every weight (full fine-tuning).</summary>
    public int LoraRank { get; init; }

    /// <summary>LoRA alpha (the update is scaled by alpha / rank); null means 32, as Tinker does.</summary>
    public float? LoraAlpha { get; init; }

    /// <summary>LoRA dropout on the adapter input during training (PEFT <c>lora_dropout</c>), in [0, 1).</summary>
    public float LoraDropout { get; init; }

    /// <summary>
    /// Under LoRA, whether <c>SaveStateAsync</c> also writes the frozen base weights (the default, so a
    /// state is self-contained); false keeps states small and loading keeps the base already loaded.
    /// </summary>
    public bool StateIncludesBaseWeights { get; init; } = true;

    /// <summary>PEFT target module names; null means every linear layer of the blocks.</summary>
    public IReadOnlyList<string>? LoraTargetModules { get; init; }

    /// <summary>Most positions (rows × padded length) one micro-batch computes; a longer datum gets a micro-batch of its own.</summary>
    public int TokensPerMicroBatch { get; init; } = 4096;

    /// <summary>Folder under which <c>SaveStateAsync</c> and <c>SaveWeightsForSamplerAsync</c> write <c>NAME/</c>.</summary>
    public required string CheckpointRoot { get; init; }

    /// <summary>
    /// A model shape to train from random weights instead of <see cref="BaseModel"/>'s, with no tokenizer
    /// (datums come as token ids; <c>GetTokenizer</c> is refused). For benchmarks.
    /// </summary>
    public Dlm.Models.Config.ModelConfig? ModelConfig { get; init; }

    /// <summary>Seed of the initial weights (a preset) and of the LoRA A matrices.</summary>
    public ulong Seed { get; init; }
}
