namespace Dlm.Training.Client;

/// <summary>What a training client trains (Tinker <c>get_info</c>).</summary>
/// <param name="ModelName">The base model: a folder path or <c>preset:NAME</c>.</param>
/// <param name="ModelType">Hugging Face <c>model_type</c> (llama, qwen2, gpt2, niels).</param>
/// <param name="LoraRank">Adapter rank, or 0 for full fine-tuning.</param>
/// <param name="Parameters">Base model parameters.</param>
/// <param name="TrainableParameters">Parameters that get gradients.</param>
/// <param name="ContextLength">Longest datum the model accepts.</param>
/// <param name="TokensPerMicroBatch">Token budget of one micro-batch (padding included).</param>
public sealed record TrainingInfo(string ModelName, string ModelType, int LoraRank, long Parameters, long TrainableParameters,
    int ContextLength, int TokensPerMicroBatch);
