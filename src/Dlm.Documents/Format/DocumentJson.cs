using System.Text.Json.Nodes;

namespace Dlm.Documents.Format;

/// <summary>
/// The JSON shapes of <c>dlm show --json</c> (ARCHITECTURE.md, "CLI contracts"): the resolved
/// frontmatter with every default filled in, and one object per section.
/// </summary>
public static class DocumentJson
{
    /// <summary>
    /// <c>{"frontmatter", "sections", "descent", "store"}</c>; <paramref name="descent"/> and
    /// <paramref name="store"/> come from the descent and store code (null when not applicable).
    /// </summary>
    public static JsonObject Show(DlmDocument document, JsonNode? descent, JsonNode? store)
    {
        ArgumentNullException.ThrowIfNull(document);
        return new JsonObject
        {
            ["frontmatter"] = Frontmatter(document.Frontmatter),
            ["sections"] = new JsonArray(document.Sections.Select(s => (JsonNode)Section(s)).ToArray()),
            ["descent"] = descent,
            ["store"] = store,
        };
    }

    /// <summary>Every frontmatter field, resolved, with upstream's key names.</summary>
    public static JsonObject Frontmatter(DlmFrontmatter f)
    {
        ArgumentNullException.ThrowIfNull(f);
        var t = f.Training;
        var p = t.Preference;
        return new JsonObject
        {
            ["dlm_id"] = f.DlmId,
            ["dlm_version"] = f.DlmVersion,
            ["base_model"] = f.BaseModel,
            ["system_prompt"] = f.SystemPrompt,
            ["training"] = new JsonObject
            {
                ["adapter"] = t.Adapter,
                ["lora_r"] = t.LoraR,
                ["lora_alpha"] = t.LoraAlpha,
                ["lora_dropout"] = t.LoraDropout,
                ["target_modules"] = AutoList(t.TargetModules),
                ["sequence_len"] = t.SequenceLen,
                ["micro_batch_size"] = AutoInt(t.MicroBatchSize),
                ["grad_accum"] = AutoInt(t.GradAccum),
                ["learning_rate"] = t.LearningRate,
                ["num_epochs"] = t.NumEpochs,
                ["optimizer"] = t.Optimizer,
                ["lr_scheduler"] = t.LrScheduler,
                ["warmup_ratio"] = t.WarmupRatio,
                ["precision"] = t.Precision,
                ["seed"] = t.Seed,
                ["preference"] = new JsonObject
                {
                    ["enabled"] = p.Enabled,
                    ["method"] = p.Method,
                    ["hyperparams"] = new JsonObject
                    {
                        ["beta"] = p.Hyperparams.Beta,
                        ["alpha"] = p.Hyperparams.Alpha,
                        ["learning_rate"] = p.Hyperparams.LearningRate,
                        ["num_epochs"] = p.Hyperparams.NumEpochs,
                    },
                    ["loss_type"] = p.LossType,
                    ["reference"] = p.Reference,
                },
                ["cpt"] = new JsonObject { ["schedule"] = t.Cpt.Schedule, ["embed_warmup_steps"] = t.Cpt.EmbedWarmupSteps },
                ["gate"] = new JsonObject
                {
                    ["enabled"] = t.Gate.Enabled,
                    ["hidden_proj_dim"] = t.Gate.HiddenProjDim,
                    ["steps"] = t.Gate.Steps,
                    ["lr"] = t.Gate.Lr,
                    ["cold_start_floor"] = t.Gate.ColdStartFloor,
                    ["entropy_lambda"] = t.Gate.EntropyLambda,
                },
                ["cache"] = new JsonObject
                {
                    ["enabled"] = t.Cache.Enabled,
                    ["max_bytes"] = t.Cache.MaxBytes,
                    ["prune_older_than_days"] = t.Cache.PruneOlderThanDays,
                },
                ["audio"] = new JsonObject { ["auto_resample"] = t.Audio.AutoResample },
                ["adapters"] = t.Adapters is null ? null : new JsonObject(t.Adapters.Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)new JsonObject
                {
                    ["adapter"] = kv.Value.Adapter,
                    ["lora_r"] = kv.Value.LoraR,
                    ["lora_alpha"] = kv.Value.LoraAlpha,
                    ["lora_dropout"] = kv.Value.LoraDropout,
                    ["target_modules"] = AutoList(kv.Value.TargetModules),
                    ["learning_rate"] = kv.Value.LearningRate,
                }))),
                ["sources"] = t.Sources is null ? null : new JsonArray(t.Sources.Select(s => (JsonNode)new JsonObject
                {
                    ["path"] = s.Path,
                    ["include"] = Strings(s.Include),
                    ["exclude"] = Strings(s.Exclude),
                    ["max_bytes_per_file"] = s.MaxBytesPerFile,
                    ["max_files"] = s.MaxFiles,
                }).ToArray()),
                ["sources_policy"] = t.SourcesPolicy.ToString().ToLowerInvariant(),
            },
            ["export"] = new JsonObject
            {
                ["default_quant"] = f.Export.DefaultQuant,
                ["default_temperature"] = f.Export.DefaultTemperature,
                ["default_top_p"] = f.Export.DefaultTopP,
            },
        };
    }

    /// <summary>
    /// <c>{"type", "id", "start_line", "adapter"}</c> plus <c>"pairs"</c> for instructions,
    /// <c>"triples"</c> for preferences, <c>"text"</c> (the raw content) for prose, and for
    /// image/audio their <c>"attributes"</c> and caption <c>"text"</c>.
    /// </summary>
    public static JsonObject Section(Section s)
    {
        ArgumentNullException.ThrowIfNull(s);
        var o = new JsonObject
        {
            ["type"] = s.Type.Name(),
            ["id"] = s.Id,
            ["start_line"] = s.StartLine,
            ["adapter"] = s.Adapter,
        };
        switch (s.Type)
        {
            case SectionType.Instruction:
                o["pairs"] = new JsonArray(s.Pairs.Select(q => (JsonNode)new JsonObject { ["question"] = q.Question, ["answer"] = q.Answer }).ToArray());
                break;
            case SectionType.Preference:
                o["triples"] = new JsonArray(s.Triples.Select(t => (JsonNode)new JsonObject
                {
                    ["prompt"] = t.Prompt,
                    ["chosen"] = t.Chosen,
                    ["rejected"] = t.Rejected,
                }).ToArray());
                break;
            case SectionType.Image or SectionType.Audio:
                o["attributes"] = new JsonObject(s.Attributes.Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)kv.Value)));
                o["text"] = s.Content;
                break;
            default:
                o["text"] = s.Content;
                break;
        }
        return o;
    }

    private static JsonNode AutoList(IReadOnlyList<string>? values) => values is null ? "auto" : Strings(values);

    private static JsonNode AutoInt(int? value) => value is null ? "auto" : value.Value;

    private static JsonArray Strings(IReadOnlyList<string> values) => new(values.Select(v => (JsonNode)v).ToArray());
}
