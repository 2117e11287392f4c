using System.Globalization;
using System.Text.Json;
using Dlm.Core;
using Dlm.Models.Config;
using Dlm.Models.IO;
using Dlm.Models.Optim;

namespace Dlm.Models.Training;

/// <summary>
/// dlm's own training checkpoint: one safetensors file holding the base weights, the adapter
/// weights (LoRA), both AdamW moments, and in its metadata the step, the dropout generator's
/// state, the model config and the optimizer settings. Under LoRA the frozen base weights may be
/// left out (<c>includeBaseWeights: false</c>): loading then keeps the base the model already holds,
/// so a document's adapter version stores megabytes, not the base. Written atomically (temp file + rename),
/// so a killed process never leaves a checkpoint that loads. Resuming reproduces the
/// uninterrupted run bit for bit.
/// </summary>
public static class NativeCheckpoint
{
    private const string Format = "dlm-checkpoint-1";

    /// <summary>
    /// Writes the trainer's state to <paramref name="path"/>; the base weights are left out only under
    /// LoRA and when <paramref name="includeBaseWeights"/> is false (they are frozen there).
    /// </summary>
    public static void Save(string path, ModelTrainer trainer, bool includeBaseWeights = true)
    {
        ArgumentNullException.ThrowIfNull(trainer);
        var model = trainer.Model;
        var ci = CultureInfo.InvariantCulture;
        var tensors = new List<SafeTensorToWrite>
        {
            SafeTensorToWrite.F32("adamw.m", trainer.M, trainer.M.Length),
            SafeTensorToWrite.F32("adamw.v", trainer.V, trainer.V.Length),
        };
        if (includeBaseWeights || model.Lora is null)
            tensors.Insert(0, SafeTensorToWrite.F32("weights", model.Weights.ToArray(), model.Weights.Length));
        if (model.Lora is not null) tensors.Add(SafeTensorToWrite.F32("lora", model.TrainableWeights.ToArray(), model.TrainableWeights.Length));
        var meta = new Dictionary<string, string>
        {
            ["format"] = Format,
            ["step"] = trainer.Step.ToString(ci),
            ["rng_state"] = model.RngState.ToString(ci),
            ["config"] = HfConfigJson.ToJson(model.Config),
            ["lora"] = model.Lora is { } l ? JsonSerializer.Serialize(l.Config) : "",
            ["adamw"] = JsonSerializer.Serialize(trainer.Options),
            ["clip"] = trainer.ClipNorm.ToString("R", ci),
        };
        SafeTensorsWriter.Write(path, tensors, meta);
    }

    /// <summary>Restores a trainer (same model shape, same LoRA targets) from <paramref name="path"/>.</summary>
    public static void Load(string path, ModelTrainer trainer)
    {
        ArgumentNullException.ThrowIfNull(trainer);
        using var file = SafeTensorsFile.Open(path);
        if (!file.Metadata.TryGetValue("format", out var format) || format != Format)
            throw new DlmException($"{path}: not a dlm checkpoint (format {format ?? "missing"})");
        var model = trainer.Model;
        if (file.Metadata.GetValueOrDefault("config") != HfConfigJson.ToJson(model.Config)) throw new DlmException($"{path}: checkpoint was written for a different model configuration");
        if (model.Lora is null != !file.Tensors.ContainsKey("lora"))
            throw new DlmException($"{path}: checkpoint and model disagree about LoRA adapters");
        var saved = JsonSerializer.Deserialize<AdamWOptions>(file.Metadata["adamw"]);
        if (saved != trainer.Options) throw new DlmException($"{path}: checkpoint was written with different AdamW settings");
        if (file.Tensors.ContainsKey("weights")) file.ReadFloat32("weights", model.Weights);
        else if (model.Lora is null) throw new DlmException($"{path}: checkpoint holds no weights");
        if (model.Lora is not null) file.ReadFloat32("lora", model.TrainableWeights);
        file.ReadFloat32("adamw.m", trainer.M);
        file.ReadFloat32("adamw.v", trainer.V);
        trainer.Step = int.Parse(file.Metadata["step"], CultureInfo.InvariantCulture);
        model.RngState = ulong.Parse(file.Metadata["rng_state"], CultureInfo.InvariantCulture);
    }
}
