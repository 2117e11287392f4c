using Dlm.Documents.Descent;

namespace Dlm.Documents.Format;

/// <summary>
/// A document's frontmatter after migration to the current schema, every field resolved to
/// its value or its default (shared/REFERENCE.md R2).
/// </summary>
/// <param name="DlmId">The document's ULID; the store folder is named after it.</param>
/// <param name="DlmVersion">Always <see cref="DlmSchema.CurrentVersion"/> (older documents are migrated in memory).</param>
/// <param name="WrittenVersion">The <c>dlm_version</c> as written in the file (1 when absent).</param>
/// <param name="BaseModel">A registry key, <c>hf:org/name</c>, or a local path.</param>
/// <param name="SystemPrompt">Optional system message for instruction rows.</param>
/// <param name="Training">The <c>training</c> block.</param>
/// <param name="Export">The <c>export</c> block.</param>
/// <param name="ExplicitKeys">Dotted keys the document sets itself (after migration); every other field shows its default.</param>
public sealed record DlmFrontmatter(
    string DlmId,
    int DlmVersion,
    int WrittenVersion,
    string BaseModel,
    string? SystemPrompt,
    TrainingConfig Training,
    ExportConfig Export,
    IReadOnlySet<string> ExplicitKeys)
{
    /// <summary>Whether the document sets <paramref name="dottedKey"/> (or something below it) itself.</summary>
    public bool IsExplicit(string dottedKey) =>
        ExplicitKeys.Contains(dottedKey) || ExplicitKeys.Any(k => k.StartsWith(dottedKey + ".", StringComparison.Ordinal));
}

/// <summary>The <c>training</c> block. <c>null</c> for <c>target_modules</c>, <c>micro_batch_size</c>, <c>grad_accum</c> means <c>auto</c>.</summary>
/// <param name="Adapter"><c>lora</c>, <c>qlora</c> or <c>dora</c>.</param>
/// <param name="LoraR">LoRA rank, 1..256.</param>
/// <param name="LoraAlpha">LoRA alpha, at least 1.</param>
/// <param name="LoraDropout">Dropout on the LoRA input, 0..0.5.</param>
/// <param name="TargetModules">Module names, or null for <c>auto</c> (the base's defaults).</param>
/// <param name="SequenceLen">Tokens per row, 64..32768.</param>
/// <param name="MicroBatchSize">Rows per step, or null for <c>auto</c>.</param>
/// <param name="GradAccum">Steps per optimizer update, or null for <c>auto</c>.</param>
/// <param name="LearningRate">Peak learning rate, greater than 0.</param>
/// <param name="NumEpochs">Passes over the rows, at least 1.</param>
/// <param name="Optimizer"><c>adamw_torch</c>, <c>adamw_bnb_8bit</c> or <c>paged_adamw_8bit</c>.</param>
/// <param name="LrScheduler"><c>cosine</c>, <c>linear</c> or <c>constant</c>.</param>
/// <param name="WarmupRatio">Fraction of steps spent warming up, 0..0.5.</param>
/// <param name="Precision"><c>bf16</c>, <c>fp16</c>, <c>fp32</c>, or null to let the planner pick.</param>
/// <param name="Seed">Seed for shuffling, dropout and the validation split.</param>
/// <param name="Preference">The preference (DPO/ORPO) phase.</param>
/// <param name="Cpt">Continued-pretraining refinements.</param>
/// <param name="Gate">The learned adapter gate.</param>
/// <param name="Cache">The tokenized-section cache.</param>
/// <param name="Audio">Audio ingestion settings.</param>
/// <param name="Adapters">Named adapters, or null for the single flat adapter.</param>
/// <param name="Sources">Source directives (files and folders trained as prose), or null.</param>
/// <param name="SourcesPolicy">Whether sources may leave the document's folder.</param>
public sealed record TrainingConfig(
    string Adapter,
    int LoraR,
    int LoraAlpha,
    double LoraDropout,
    IReadOnlyList<string>? TargetModules,
    int SequenceLen,
    int? MicroBatchSize,
    int? GradAccum,
    double LearningRate,
    int NumEpochs,
    string Optimizer,
    string LrScheduler,
    double WarmupRatio,
    string? Precision,
    long Seed,
    PreferenceConfig Preference,
    CptConfig Cpt,
    GateConfig Gate,
    CacheConfig Cache,
    AudioConfig Audio,
    IReadOnlyDictionary<string, AdapterConfig>? Adapters,
    IReadOnlyList<SourceDirective>? Sources,
    SourcesPolicy SourcesPolicy);

/// <summary>The preference phase (<c>training.preference</c>).</summary>
/// <param name="Enabled">Whether the phase runs.</param>
/// <param name="Method"><c>dpo</c> or <c>orpo</c>.</param>
/// <param name="Hyperparams">Method hyperparameters.</param>
/// <param name="LossType">DPO loss: <c>sigmoid</c>, <c>hinge</c> or <c>ipo</c>.</param>
/// <param name="Reference">DPO reference model: <c>base</c> or <c>pre_adapter</c>.</param>
public sealed record PreferenceConfig(bool Enabled, string Method, PreferenceHyperparams Hyperparams, string LossType, string Reference);

/// <summary>Preference hyperparameters (<c>training.preference.hyperparams</c>).</summary>
/// <param name="Beta">DPO beta, 0..1.</param>
/// <param name="Alpha">ORPO alpha, 0..1.</param>
/// <param name="LearningRate">Greater than 0.</param>
/// <param name="NumEpochs">At least 1.</param>
public sealed record PreferenceHyperparams(double Beta, double Alpha, double LearningRate, int NumEpochs);

/// <summary>Continued pretraining (<c>training.cpt</c>).</summary>
/// <param name="Schedule"><c>auto</c>, <c>dapt</c> or <c>sft</c>.</param>
/// <param name="EmbedWarmupSteps">Steps with embeddings unfrozen, at least 0.</param>
public sealed record CptConfig(string Schedule, int EmbedWarmupSteps);

/// <summary>The learned adapter gate (<c>training.gate</c>).</summary>
/// <param name="Enabled">Whether a gate is trained.</param>
/// <param name="HiddenProjDim">8..2048.</param>
/// <param name="Steps">1..10000.</param>
/// <param name="Lr">Greater than 0, at most 1.</param>
/// <param name="ColdStartFloor">1..1024.</param>
/// <param name="EntropyLambda">0..1.</param>
public sealed record GateConfig(bool Enabled, int HiddenProjDim, int Steps, double Lr, int ColdStartFloor, double EntropyLambda);

/// <summary>The tokenized-section cache (<c>training.cache</c>).</summary>
/// <param name="Enabled">Whether the cache is used.</param>
/// <param name="MaxBytes">Disk cap, at least 1.</param>
/// <param name="PruneOlderThanDays">Retention, at least 1.</param>
public sealed record CacheConfig(bool Enabled, long MaxBytes, int PruneOlderThanDays);

/// <summary>Audio settings (<c>training.audio</c>).</summary>
/// <param name="AutoResample">Resample audio to the processor's rate instead of refusing.</param>
public sealed record AudioConfig(bool AutoResample);

/// <summary>One named adapter (<c>training.adapters.&lt;name&gt;</c>).</summary>
/// <param name="Adapter"><c>lora</c>, <c>qlora</c> or <c>dora</c>.</param>
/// <param name="LoraR">1..256.</param>
/// <param name="LoraAlpha">At least 1.</param>
/// <param name="LoraDropout">0..0.5.</param>
/// <param name="TargetModules">Module names, or null for <c>auto</c>.</param>
/// <param name="LearningRate">Greater than 0.</param>
public sealed record AdapterConfig(string Adapter, int LoraR, int LoraAlpha, double LoraDropout, IReadOnlyList<string>? TargetModules, double LearningRate);

/// <summary>The <c>export</c> block.</summary>
/// <param name="DefaultQuant"><c>Q4_K_M</c>, <c>Q5_K_M</c>, <c>Q6_K</c> or <c>Q8_0</c>.</param>
/// <param name="DefaultTemperature">Optional, in (0, 2].</param>
/// <param name="DefaultTopP">Optional, in (0, 1].</param>
public sealed record ExportConfig(string DefaultQuant, double? DefaultTemperature, double? DefaultTopP);
