using System.Text.Json;
using System.Text.Json.Nodes;
using Dlm.Core;
using Dlm.Models.Config;
using Dlm.Models.Lora;

namespace Dlm.Models.IO;

/// <summary>
/// Writes a PEFT LoRA adapter folder, the format <c>PeftModel.from_pretrained</c> reads:
/// <c>adapter_config.json</c> (the fields of PEFT's <c>LoraConfig</c>) and
/// <c>adapter_model.safetensors</c> with PEFT's key names
/// (<c>base_model.model.model.layers.N.self_attn.q_proj.lora_A.weight</c>; GPT-2's under
/// <c>base_model.model.transformer.h.N...</c>), F32, A as [r, in] and B as [out, r].
/// <see cref="HfModelFolder.LoadLoraConfig"/> and <see cref="HfModelFolder.LoadLoraWeights"/> read it back.
/// </summary>
public static class PeftAdapterWriter
{
    /// <summary>The tensor name PEFT gives one of our adapter tensors (<see cref="LoraAdapters.Tensors"/>).</summary>
    public static string PeftName(string tensorName)
    {
        ArgumentNullException.ThrowIfNull(tensorName);
        // GPT2LMHeadModel keeps its blocks under .transformer; our layout names them as GPT2Model does.
        const string gpt2Block = "base_model.model.h.";
        return tensorName.StartsWith(gpt2Block, StringComparison.Ordinal)
            ? "base_model.model.transformer.h." + tensorName[gpt2Block.Length..]
            : tensorName;
    }

    /// <summary>
    /// Writes both files into <paramref name="folder"/> (created if needed), each atomically.
    /// <paramref name="weights"/> is the adapter arena (<see cref="Transformer.TransformerModel.TrainableWeights"/> under LoRA).
    /// </summary>
    public static void Save(string folder, ModelConfig model, LoraAdapters adapters, ReadOnlySpan<float> weights, string baseModelNameOrPath)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(adapters);
        ArgumentNullException.ThrowIfNull(baseModelNameOrPath);
        if (weights.Length != adapters.Count)
            throw new ArgumentException($"{weights.Length} adapter weights for an arena of {adapters.Count}", nameof(weights));
        try
        {
            Directory.CreateDirectory(folder);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new DlmException($"cannot create {folder}: {e.Message}", e);
        }
        var tensors = new List<SafeTensorToWrite>();
        foreach (var t in adapters.Tensors)
            tensors.Add(SafeTensorToWrite.F32(PeftName(t.Name), weights.Slice(t.Offset, t.Length).ToArray(), t.Shape.Select(x => (long)x).ToArray()));
        tensors.Sort((a, b) => string.CompareOrdinal(a.Name, b.Name));
        SafeTensorsWriter.Write(Path.Combine(folder, "adapter_model.safetensors"), tensors, new Dictionary<string, string> { ["format"] = "pt" });
        AtomicFile.WriteAllText(Path.Combine(folder, "adapter_config.json"), ConfigJson(model, adapters.Config, baseModelNameOrPath));
    }

    /// <summary>The adapter_config.json text: the keys PEFT's <c>LoraConfig.to_dict()</c> writes for a plain LoRA.</summary>
    public static string ConfigJson(ModelConfig model, LoraConfig lora, string baseModelNameOrPath)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(lora);
        var targets = new JsonArray();
        foreach (var t in lora.TargetModules) targets.Add(t);
        var o = new JsonObject
        {
            ["alpha_pattern"] = new JsonObject(),
            ["auto_mapping"] = null,
            ["base_model_name_or_path"] = baseModelNameOrPath,
            ["bias"] = "none",
            // GPT-2's Conv1D stores W as [in, out]; PEFT sets this flag for it.
            ["fan_in_fan_out"] = model.Family == ModelFamily.Gpt2,
            ["inference_mode"] = true,
            ["init_lora_weights"] = true,
            ["layers_pattern"] = null,
            ["layers_to_transform"] = null,
            ["lora_alpha"] = lora.Alpha,
            ["lora_dropout"] = lora.Dropout,
            ["modules_to_save"] = null,
            ["peft_type"] = "LORA",
            ["r"] = lora.Rank,
            ["rank_pattern"] = new JsonObject(),
            ["revision"] = null,
            ["target_modules"] = targets,
            ["task_type"] = "CAUSAL_LM",
            ["use_dora"] = false,
            ["use_rslora"] = false,
        };
        return o.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n";
    }
}
