using System.Text.Json;
using System.Text.Json.Nodes;
using Dlm.Core;
using Dlm.Models.Config;
using Dlm.Models.Lora;
using Dlm.Models.Transformer;

namespace Dlm.Models.IO;

/// <summary>
/// Hugging Face model folders: <c>config.json</c> plus <c>model.safetensors</c> or a sharded
/// <c>model.safetensors.index.json</c>, any of F32/F16/BF16; PEFT adapter folders
/// (<c>adapter_config.json</c> + <c>adapter_model.safetensors</c>).
/// GPT-2 Conv1D weights are transposed on load and save.
/// </summary>
public static class HfModelFolder
{
    /// <summary>Reads the folder's config.json.</summary>
    public static ModelConfig LoadConfig(string folder)
    {
        if (!Directory.Exists(folder)) throw new DlmException($"{folder}: model folder not found");
        return HfConfigJson.Load(Path.Combine(folder, "config.json"));
    }

    /// <summary>Loads config and weights into a new model sized for <paramref name="maxBatch"/> × <paramref name="maxSeq"/>.</summary>
    public static TransformerModel LoadModel(string folder, int maxBatch, int maxSeq, LoraConfig? lora = null, bool inferenceOnly = false)
    {
        var config = LoadConfig(folder);
        var model = new TransformerModel(config, maxBatch, Math.Min(maxSeq, config.ContextLength), lora, inferenceOnly: inferenceOnly);
        LoadWeights(folder, model.Layout, model.Weights);
        return model;
    }

    /// <summary>Reads every tensor of <paramref name="layout"/> from the folder's safetensors into <paramref name="destination"/>.</summary>
    public static void LoadWeights(string folder, ParameterLayout layout, Span<float> destination)
    {
        ArgumentNullException.ThrowIfNull(layout);
        var files = OpenWeightFiles(folder);
        try
        {
            foreach (var t in layout.Tensors)
            {
                var (file, name) = Find(files, t.Name, folder);
                var info = file.Tensors[name];
                var want = t.FileShape;
                if (!info.Shape.Select(x => (int)x).SequenceEqual(want))
                    throw new DlmException($"{file.Path}: tensor {name} has shape [{string.Join(", ", info.Shape)}], the config needs [{string.Join(", ", want)}]");
                ReadInto(file, name, t, destination.Slice(t.Offset, t.Length));
            }
        }
        finally
        {
            foreach (var f in files.Values.Distinct()) f.Dispose();
        }
    }

    /// <summary>Writes config.json and model.safetensors (F32, Hugging Face names and layouts) into <paramref name="folder"/>.</summary>
    public static void Save(string folder, ModelConfig config, ParameterLayout layout, ReadOnlySpan<float> weights)
    {
        ArgumentNullException.ThrowIfNull(layout);
        Directory.CreateDirectory(folder);
        var tensors = new List<SafeTensorToWrite>();
        foreach (var t in layout.Tensors)
            tensors.Add(SafeTensorToWrite.F32(t.Name, ToFileLayout(t, weights.Slice(t.Offset, t.Length)), t.FileShape.Select(x => (long)x).ToArray()));
        SafeTensorsWriter.Write(Path.Combine(folder, "model.safetensors"), tensors, new Dictionary<string, string> { ["format"] = "pt" });
        AtomicFile.WriteAllText(Path.Combine(folder, "config.json"), HfConfigJson.ToJson(config));
    }

    /// <summary>Reads a PEFT adapter_config.json (LoRA only).</summary>
    public static LoraConfig LoadLoraConfig(string folder)
    {
        var path = Path.Combine(folder, "adapter_config.json");
        if (!File.Exists(path)) throw new DlmException($"{path}: adapter config not found");
        try
        {
            var o = JsonNode.Parse(File.ReadAllText(path))?.AsObject() ?? throw new DlmException($"{path}: empty adapter config");
            var type = o["peft_type"]?.GetValue<string>();
            if (type is not null && type != "LORA") throw new DlmException($"{path}: peft_type {type} is not supported (dlm knows LORA)");
            int r = o["r"]?.GetValue<int>() ?? 8;
            float alpha = (float)(o["lora_alpha"]?.GetValue<double>() ?? 8);
            float dropout = (float)(o["lora_dropout"]?.GetValue<double>() ?? 0);
            var targets = o["target_modules"] switch
            {
                JsonArray a => a.Select(x => x!.GetValue<string>()).ToList(),
                JsonValue v => [v.GetValue<string>()],
                _ => throw new DlmException($"{path}: target_modules missing"),
            };
            return new LoraConfig(r, alpha, dropout, targets);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException)
        {
            throw new DlmException($"{path}: malformed adapter config: {e.Message}");
        }
    }

    /// <summary>Reads adapter_model.safetensors into the adapter arena.</summary>
    public static void LoadLoraWeights(string folder, LoraAdapters adapters, Span<float> destination)
    {
        ArgumentNullException.ThrowIfNull(adapters);
        using var file = SafeTensorsFile.Open(Path.Combine(folder, "adapter_model.safetensors"));
        foreach (var t in adapters.Tensors)
        {
            // PEFT saves without the adapter name; older files carry ".default".
            string name = file.Tensors.ContainsKey(t.Name) ? t.Name : t.Name.Replace(".weight", ".default.weight", StringComparison.Ordinal);
            if (!file.Tensors.TryGetValue(name, out var info)) throw new DlmException($"{file.Path}: no tensor named {t.Name}");
            if (info.ElementCount != t.Length) throw new DlmException($"{file.Path}: tensor {name} has {info.ElementCount} elements, expected {t.Length}");
            file.ReadFloat32(name, destination.Slice(t.Offset, t.Length));
        }
    }

    internal static Dictionary<string, SafeTensorsFile> OpenWeightFiles(string folder)
    {
        var single = Path.Combine(folder, "model.safetensors");
        var index = Path.Combine(folder, "model.safetensors.index.json");
        var map = new Dictionary<string, SafeTensorsFile>(StringComparer.Ordinal);
        if (File.Exists(single))
        {
            var f = SafeTensorsFile.Open(single);
            foreach (var name in f.Tensors.Keys) map[name] = f;
            return map;
        }
        if (!File.Exists(index)) throw new DlmException($"{folder}: no model.safetensors or model.safetensors.index.json");
        JsonObject weightMap;
        try
        {
            weightMap = JsonNode.Parse(File.ReadAllText(index))?["weight_map"]?.AsObject() ?? throw new DlmException($"{index}: no weight_map");
        }
        catch (JsonException e)
        {
            throw new DlmException($"{index}: malformed JSON: {e.Message}");
        }
        var opened = new Dictionary<string, SafeTensorsFile>(StringComparer.Ordinal);
        try
        {
            foreach (var (name, node) in weightMap)
            {
                var shard = node?.GetValue<string>() ?? throw new DlmException($"{index}: weight_map entry {name} is not a file name");
                if (shard.Contains('/', StringComparison.Ordinal) || shard.Contains('\\', StringComparison.Ordinal) || shard.Contains("..", StringComparison.Ordinal))
                    throw new DlmException($"{index}: shard name {shard} must be a plain file name");
                if (!opened.TryGetValue(shard, out var f)) opened[shard] = f = SafeTensorsFile.Open(Path.Combine(folder, shard));
                map[name] = f;
            }
        }
        catch
        {
            foreach (var f in opened.Values) f.Dispose();
            throw;
        }
        return map;
    }

    internal static (SafeTensorsFile File, string Name) Find(Dictionary<string, SafeTensorsFile> files, string name, string folder)
    {
        // GPT-2 checkpoints exist with and without the "transformer." prefix.
        foreach (var candidate in new[] { name, "transformer." + name })
            if (files.TryGetValue(candidate, out var f) && f.Tensors.ContainsKey(candidate)) return (f, candidate);
        throw new DlmException($"{folder}: the weights have no tensor named {name}");
    }

    internal static void ReadInto(SafeTensorsFile file, string name, ParameterTensor t, Span<float> destination)
    {
        if (!t.Transposed)
        {
            file.ReadFloat32(name, destination);
            return;
        }
        var raw = file.ReadFloat32(name);
        int rows = t.Shape[0], cols = t.Shape[1]; // file holds [cols, rows]
        for (int i = 0; i < rows; i++)
            for (int j = 0; j < cols; j++)
                destination[i * cols + j] = raw[j * rows + i];
    }

    /// <summary>A tensor in the layout its Hugging Face file uses (transposed back for GPT-2 Conv1D).</summary>
    public static float[] ToFileLayout(ParameterTensor tensor, ReadOnlySpan<float> data)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        var result = new float[tensor.Length];
        if (!tensor.Transposed)
        {
            data.CopyTo(result);
            return result;
        }
        int rows = tensor.Shape[0], cols = tensor.Shape[1];
        for (int i = 0; i < rows; i++)
            for (int j = 0; j < cols; j++)
                result[j * rows + i] = data[i * cols + j];
        return result;
    }
}
