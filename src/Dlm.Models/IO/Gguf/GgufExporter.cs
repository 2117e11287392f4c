using Dlm.Core;
using Dlm.Models.Config;
using Dlm.Models.Lora;
using Dlm.Models.Transformer;

namespace Dlm.Models.IO.Gguf;

/// <summary>What <see cref="GgufExporter"/> wrote.</summary>
/// <param name="Path">The GGUF file.</param>
/// <param name="Architecture">llama.cpp architecture name (llama, qwen2, gpt2).</param>
/// <param name="Type">The file's main tensor type.</param>
/// <param name="Tensors">Number of tensors.</param>
/// <param name="Bytes">File size.</param>
/// <param name="PreTokenizer">The <c>tokenizer.ggml.pre</c> name.</param>
public sealed record GgufExportResult(string Path, string Architecture, GgmlType Type, int Tensors, long Bytes, string PreTokenizer);

/// <summary>
/// Exports a Hugging Face model folder (llama, qwen2, gpt2, niels), optionally with a PEFT LoRA
/// adapter merged into it, as a GGUF file llama.cpp loads: metadata and tensor names as
/// <c>convert_hf_to_gguf.py</c> writes them, the tokenizer and chat template embedded. Without
/// an adapter the weights stream from the safetensors one tensor at a time; with one the model
/// is loaded, merged, then streamed from memory.
/// </summary>
public static class GgufExporter
{
    /// <summary>Types <c>dlm export gguf --type</c> accepts.</summary>
    public static IReadOnlyList<string> TypeNames { get; } = ["f32", "f16", "bf16", "q8_0"];

    /// <summary>
    /// Writes <paramref name="outPath"/> from <paramref name="modelFolder"/>. Architecture, type and
    /// tokenizer are all checked before any byte is written. <paramref name="onTensor"/> is told
    /// (index, count) after each tensor.
    /// </summary>
    public static GgufExportResult Export(string modelFolder, string? adapterFolder, GgmlType type, string outPath, Action<int, int>? onTensor = null)
    {
        ArgumentNullException.ThrowIfNull(modelFolder);
        var config = HfModelFolder.LoadConfig(modelFolder);
        LlamaCppArchitecture.Name(config);
        var tokenizer = GgufTokenizerMetadata.FromFolder(modelFolder, config.VocabSize);
        var name = Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(modelFolder)));
        if (adapterFolder is null)
        {
            using var reader = new HfWeightReader(modelFolder);
            return Export(reader.Config, reader.Layout, reader.Read, tokenizer, name, type, outPath, onTensor);
        }
        var lora = HfModelFolder.LoadLoraConfig(adapterFolder);
        var model = new TransformerModel(config, 1, 1, lora, inferenceOnly: true);
        HfModelFolder.LoadWeights(modelFolder, model.Layout, model.Weights);
        HfModelFolder.LoadLoraWeights(adapterFolder, model.Lora!, model.TrainableWeights);
        model.MergeLora();
        return Export(config, model.Layout, t => model.Weights.Slice(t.Offset, t.Length).ToArray(), tokenizer, name, type, outPath, onTensor);
    }

    /// <summary>
    /// Writes a GGUF file from any weight source: <paramref name="read"/> returns one layout
    /// tensor in arena layout (linear weights [out, in]) when the writer reaches it.
    /// </summary>
    public static GgufExportResult Export(ModelConfig config, ParameterLayout layout, Func<ParameterTensor, float[]> read, GgufTokenizerMetadata tokenizer,
        string modelName, GgmlType type, string outPath, Action<int, int>? onTensor = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(layout);
        ArgumentNullException.ThrowIfNull(read);
        ArgumentNullException.ThrowIfNull(tokenizer);
        if (!GgmlTypes.IsKnown((uint)type)) throw new DlmException($"GGUF type {type} is not supported (dlm writes {string.Join(", ", TypeNames)})");
        var arch = LlamaCppArchitecture.Name(config);
        var metadata = LlamaCppArchitecture.Metadata(config, modelName, type);
        metadata.AddRange(tokenizer.ToMetadata());
        var tensors = new List<GgufTensorToWrite>();
        foreach (var p in LlamaCppArchitecture.Tensors(layout))
        {
            long[] dims = p.Source is { } s ? [.. s.Shape.Reverse().Select(x => (long)x)] : [p.Generated!.Length];
            var storage = LlamaCppArchitecture.StorageType(p.Name, dims, type);
            tensors.Add(new GgufTensorToWrite(p.Name, dims, storage, () =>
            {
                if (p.Generated is { } g) return g;
                var data = read(p.Source!);
                return p.PermuteHeads > 0 ? LlamaCppArchitecture.Permute(data, p.Source!.Shape[0], p.PermuteHeads) : data;
            }));
        }
        var dir = Path.GetDirectoryName(Path.GetFullPath(outPath));
        if (dir is not null && !Directory.Exists(dir)) throw new DlmException($"{outPath}: folder {dir} does not exist");
        GgufWriter.Write(outPath, metadata, tensors, i => onTensor?.Invoke(i, tensors.Count));
        return new GgufExportResult(outPath, arch, type, tensors.Count, new FileInfo(outPath).Length, tokenizer.Pre);
    }
}
