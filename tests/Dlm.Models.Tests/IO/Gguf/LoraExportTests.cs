using Dlm.Models.IO;
using Dlm.Models.IO.Gguf;
using Dlm.Models.Lora;
using Dlm.Models.Transformer;

namespace Dlm.Models.Tests.IO.Gguf;

/// <summary>A PEFT LoRA adapter is merged before export: llama.cpp on the merged file computes what dlm computes with the adapter applied.</summary>
public sealed class LoraExportTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("dlm-gguf-lora-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Theory]
    [InlineData("smollm")]
    [InlineData("qwen2")]
    [InlineData("niels")]
    public void Merged_adapter_export_matches_dlm_with_the_adapter(string family)
    {
        var folder = TinyModels.Create(family, _root);
        var lora = new LoraConfig(4, 8f, 0f, ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]);
        var adapterDir = Path.Combine(_root, "adapter");
        Directory.CreateDirectory(adapterDir);
        File.WriteAllText(Path.Combine(adapterDir, "adapter_config.json"),
            """{"peft_type": "LORA", "r": 4, "lora_alpha": 8, "lora_dropout": 0.0, "target_modules": ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"], "bias": "none", "task_type": "CAUSAL_LM"}""");
        var config = HfModelFolder.LoadConfig(folder);
        var adapters = new LoraAdapters(new ParameterLayout(config), lora);
        var rng = new Random(11);
        SafeTensorsWriter.Write(Path.Combine(adapterDir, "adapter_model.safetensors"),
            adapters.Tensors.Select(t => SafeTensorToWrite.F32(t.Name, [.. Enumerable.Range(0, t.Length).Select(_ => (float)(rng.NextDouble() - 0.5) * 0.4f)],
                [.. t.Shape.Select(x => (long)x)])));

        int[] prompt = [5, 17, 42, 99, 3, 250, 7, 1000];
        var model = new TransformerModel(config, 1, prompt.Length, lora, inferenceOnly: true);
        HfModelFolder.LoadWeights(folder, model.Layout, model.Weights);
        HfModelFolder.LoadLoraWeights(adapterDir, model.Lora!, model.TrainableWeights);
        model.Forward(prompt, [], [], 1, prompt.Length, training: false);
        var want = model.Logits.ToArray();

        var gguf = Path.Combine(_root, "merged.gguf");
        GgufExporter.Export(folder, adapterDir, GgmlType.F32, gguf);
        using var cpp = new LlamaCpp(gguf);
        var got = cpp.Logits(prompt).SelectMany(x => x).ToArray();
        var baseLogits = DlmReference.Logits(folder, prompt).SelectMany(x => x).ToArray();
        double maxRef = want.Max(Math.Abs);
        double diff = want.Zip(got, (a, b) => Math.Abs(a - b)).Max() / maxRef;
        double adapterEffect = want.Zip(baseLogits, (a, b) => Math.Abs(a - b)).Max() / maxRef;
        Assert.True(adapterEffect > 1e-2, $"the adapter should change the logits (changed {adapterEffect:G3})");
        Assert.True(diff <= 1e-4, $"{family}: llama.cpp on the merged export differs from dlm with the adapter by {diff:G3} (relative)");
    }
}
