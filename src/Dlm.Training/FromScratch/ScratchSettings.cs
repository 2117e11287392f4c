using Dlm.Data.Settings;

namespace Dlm.Training.FromScratch;

/// <summary>
/// The model block of a from-scratch settings file (<c>model:</c>): where the weights start and the
/// shape changes a preset may take.
/// </summary>
public sealed record ScratchModelSettings
{
    /// <summary><c>model.init</c>: <c>preset:NAME</c> (random weights of that shape) or a Hugging Face model folder (default <c>preset:niels-small</c>).</summary>
    public string Init { get; init; } = "preset:niels-small";

    /// <summary><c>model.context_length</c>: replaces the preset's context length (a folder's may only shrink through a stage's <c>context_length</c>).</summary>
    public int? ContextLength { get; init; }

    /// <summary><c>model.d_model</c>: the preset's width.</summary>
    public int? DModel { get; init; }

    /// <summary><c>model.layers</c>: the preset's block count.</summary>
    public int? Layers { get; init; }

    /// <summary><c>model.heads</c>: the preset's attention heads (also its key/value heads).</summary>
    public int? Heads { get; init; }

    /// <summary><c>model.d_ff</c>: the preset's MLP width.</summary>
    public int? DFf { get; init; }

    /// <summary><c>model.dropout</c>: the dropout probability while training (niels-gpt: 0.1).</summary>
    public float? Dropout { get; init; }
}

/// <summary>
/// One stage's training settings (<c>pretrain:</c> or <c>sft:</c>). The defaults are niels-gpt's
/// (REFERENCE.md R1): AdamW betas (0.9, 0.95), clip 1.0, linear warmup then cosine; pretrain lr
/// 3e-4 → 3e-5 with weight decay 0.1, SFT lr 1e-4 → 1e-5 with weight decay 0.05.
/// </summary>
public sealed record StageSettings
{
    /// <summary><c>batch_size</c>: rows per optimizer step.</summary>
    public int BatchSize { get; init; } = 16;

    /// <summary><c>context_length</c>: T, tokens per row (default: the model's context length).</summary>
    public int? ContextLength { get; init; }

    /// <summary><c>max_steps</c>: the step budget; also the length of the cosine schedule.</summary>
    public int MaxSteps { get; init; } = 2000;

    /// <summary><c>max_minutes</c>: the wall-clock budget of training (summed over resumes); null for none.</summary>
    public double? MaxMinutes { get; init; }

    /// <summary><c>lr</c>: the peak learning rate.</summary>
    public float LearningRate { get; init; } = 3e-4f;

    /// <summary><c>min_lr</c>: where the cosine ends.</summary>
    public float MinLearningRate { get; init; } = 3e-5f;

    /// <summary><c>warmup_steps</c>: linear warmup from 0 (cut to <see cref="MaxSteps"/>).</summary>
    public int WarmupSteps { get; init; } = 100;

    /// <summary><c>beta1</c>.</summary>
    public float Beta1 { get; init; } = 0.9f;

    /// <summary><c>beta2</c>.</summary>
    public float Beta2 { get; init; } = 0.95f;

    /// <summary><c>weight_decay</c> (linear weights only; not norms, biases or embeddings).</summary>
    public float WeightDecay { get; init; } = 0.1f;

    /// <summary><c>grad_clip</c>: global gradient-norm clip (0 turns it off).</summary>
    public float GradClip { get; init; } = 1f;

    /// <summary><c>eval_every</c>: steps between validation losses (the last step is always evaluated).</summary>
    public int EvalEvery { get; init; } = 100;

    /// <summary><c>eval_batches</c>: batches of the val caches per validation (drawn with a fixed seed, the same every time).</summary>
    public int EvalBatches { get; init; } = 8;

    /// <summary><c>save_every</c>: steps between <c>latest</c> and <c>step_N</c> checkpoints.</summary>
    public int SaveEvery { get; init; } = 500;

    /// <summary><c>keep_checkpoints</c>: how many <c>step_N</c> folders to keep (older ones are deleted; 0 keeps none).</summary>
    public int KeepCheckpoints { get; init; } = 3;

    /// <summary><c>seed</c>: weight initialisation (presets), batch sampling and dropout.</summary>
    public long Seed { get; init; } = 1337;

    /// <summary><c>init</c> (SFT only): the Hugging Face folder to start from; the pipeline uses the pretrain stage's best checkpoint.</summary>
    public string? Init { get; init; }

    /// <summary>niels-gpt's pretraining defaults.</summary>
    public static StageSettings PretrainDefaults { get; } = new();

    /// <summary>niels-gpt's SFT defaults.</summary>
    public static StageSettings SftDefaults { get; } = new()
    {
        LearningRate = 1e-4f, MinLearningRate = 1e-5f, WeightDecay = 0.05f, MaxSteps = 500, WarmupSteps = 20, EvalEvery = 50, SaveEvery = 100,
    };
}

/// <summary>
/// A from-scratch settings file, resolved: the <c>data:</c> block (<see cref="DataSettings"/>) and the
/// blocks <c>model:</c>, <c>run:</c>, <c>pretrain:</c> and <c>sft:</c>. Built by <see cref="ScratchSettingsLoader"/>.
/// </summary>
public sealed record ScratchSettings
{
    /// <summary>The settings file, or null for the built-in defaults.</summary>
    public string? SettingsPath { get; init; }

    /// <summary>The <c>data:</c> block.</summary>
    public required DataSettings Data { get; init; }

    /// <summary>The <c>model:</c> block.</summary>
    public ScratchModelSettings Model { get; init; } = new();

    /// <summary><c>run.dir</c>: the pipeline's output folder (<c>pretrain/</c> and <c>sft/</c> below it); absolute.</summary>
    public required string RunDir { get; init; }

    /// <summary>The <c>pretrain:</c> block.</summary>
    public StageSettings Pretrain { get; init; } = StageSettings.PretrainDefaults;

    /// <summary>The <c>sft:</c> block.</summary>
    public StageSettings Sft { get; init; } = StageSettings.SftDefaults;

    /// <summary>The block of <paramref name="kind"/>.</summary>
    public StageSettings Stage(StageKind kind) => kind == StageKind.Pretrain ? Pretrain : Sft;

    /// <summary>The folder a stage writes: <c>run.dir/pretrain</c> or <c>run.dir/sft</c>.</summary>
    public string StageDir(StageKind kind) => Path.Combine(RunDir, kind.Name());
}
