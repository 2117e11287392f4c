using Dlm.Core.Config;
using Dlm.Training.Datasets;

namespace Dlm.Training.Supervised;

/// <summary>How the learning rate decays over a run.</summary>
public enum LrSchedule
{
    /// <summary><c>1 - s/S</c>.</summary>
    Linear,
    /// <summary><c>0.5 (1 + cos(pi s/S))</c>.</summary>
    Cosine,
    /// <summary>1.</summary>
    Constant,
}

/// <summary>What to do when the log directory already exists.</summary>
public enum LogDirBehavior
{
    /// <summary>Ask on the terminal: delete, resume or exit (refused without a terminal).</summary>
    Ask,
    /// <summary>Remove it and start over.</summary>
    Delete,
    /// <summary>Continue from its last checkpoint.</summary>
    Resume,
    /// <summary>Stop with an error.</summary>
    Raise,
}

/// <summary>
/// The supervised training loop's settings (tinker-cookbook <c>supervised.train.Config</c>,
/// shared/REFERENCE.md R3) with upstream's defaults, plus the few dlm needs to run locally.
/// </summary>
public sealed class SupervisedConfig
{
    /// <summary>Folder of logs, metrics and checkpoints.</summary>
    [ConfigDoc("Folder for logs, metrics and checkpoints")]
    public required string LogPath { get; set; }

    /// <summary>A Hugging Face model folder, a hub id in the local Hugging Face cache, or preset:NAME.</summary>
    [ConfigDoc("Model folder (config.json, model.safetensors, tokenizer.json), a cached hub id, or preset:NAME")]
    public required string ModelName { get; set; }

    /// <summary>A training state to start from (weights only).</summary>
    [ConfigDoc("state.safetensors to start from (weights only)")]
    public string? LoadCheckpointPath { get; set; }

    /// <summary>Where the data comes from.</summary>
    [ConfigDoc("Dataset builder: NoRobotsBuilder or FromConversationFileBuilder")]
    public ChatDatasetBuilder DatasetBuilder { get; set; } = new NoRobotsBuilder();

    /// <summary>Peak learning rate.</summary>
    [ConfigDoc("Peak learning rate")]
    public double LearningRate { get; set; } = 1e-4;

    /// <summary>Learning-rate decay.</summary>
    [ConfigDoc("Learning-rate decay over the run")]
    public LrSchedule LrSchedule { get; set; } = LrSchedule.Linear;

    /// <summary>Passes over the training set.</summary>
    [ConfigDoc("Passes over the training set")]
    public int NumEpochs { get; set; } = 1;

    /// <summary>LoRA rank; 0 trains every weight.</summary>
    [ConfigDoc("LoRA rank; 0 = full fine-tuning")]
    public int LoraRank { get; set; } = 32;

    /// <summary>Steps between checkpoints (0: only the final one).</summary>
    [ConfigDoc("Save state and sampler weights every N steps (0: only at the end)")]
    public int SaveEvery { get; set; } = 20;

    /// <summary>Steps between test-set evaluations (0: none).</summary>
    [ConfigDoc("Evaluate test/nll every N steps (0: never)")]
    public int EvalEvery { get; set; } = 10;

    /// <summary>Adam beta1.</summary>
    [ConfigDoc("Adam beta1")]
    public double AdamBeta1 { get; set; } = 0.9;

    /// <summary>Adam beta2.</summary>
    [ConfigDoc("Adam beta2")]
    public double AdamBeta2 { get; set; } = 0.95;

    /// <summary>Adam epsilon.</summary>
    [ConfigDoc("Adam epsilon")]
    public double AdamEps { get; set; } = 1e-8;

    /// <summary>What to do with an existing log directory (upstream's <c>check_log_dir</c>).</summary>
    [ConfigDoc("dlm: existing log_path: ask, delete, resume or raise")]
    public LogDirBehavior BehaviorIfLogDirExists { get; set; } = LogDirBehavior.Ask;

    /// <summary>Token budget of one micro-batch.</summary>
    [ConfigDoc("dlm: padded tokens per micro-batch (memory vs speed)")]
    public int TokensPerMicroBatch { get; set; } = 4096;

    /// <summary>Seed of LoRA's A matrices and a preset's initial weights.</summary>
    [ConfigDoc("dlm: seed of LoRA A matrices / a preset's initial weights")]
    public int Seed { get; set; }
}
