using System.Globalization;
using Dlm.Models.Generation;
using Dlm.Models.IO;
using Dlm.Models.Lora;
using Dlm.Models.Transformer;

namespace Dlm.Models.Tests.Generation;

/// <summary>The Tinker-shaped client over model folders and PEFT adapter folders.</summary>
public sealed class SamplingClientTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "dlm-sampling-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_dir)) Directory.Delete(_dir, recursive: true);
    }

    private static readonly LoraConfig Lora = new(2, 4, 0f, ["q_proj", "v_proj", "o_proj", "up_proj", "down_proj"]);

    // Writes the base model and a PEFT adapter folder (adapter_config.json + adapter_model.safetensors).
    private (string Base, string Adapter, TransformerModel Model) WriteFolders(string family)
    {
        var model = TinyModels.Model(family, seed: 5, lora: Lora);
        string baseDir = Path.Combine(_dir, "base"), adapterDir = Path.Combine(_dir, "adapter");
        HfModelFolder.Save(baseDir, model.Config, model.Layout, model.Weights);
        Directory.CreateDirectory(adapterDir);
        var lw = model.TrainableWeights.ToArray();
        SafeTensorsWriter.Write(Path.Combine(adapterDir, "adapter_model.safetensors"),
            model.Lora!.Tensors.Select(t => SafeTensorToWrite.F32(t.Name, lw.AsSpan(t.Offset, t.Length).ToArray(), t.Shape.Select(x => (long)x).ToArray())));
        File.WriteAllText(Path.Combine(adapterDir, "adapter_config.json"), string.Create(CultureInfo.InvariantCulture,
            $$"""{"peft_type": "LORA", "r": {{Lora.Rank}}, "lora_alpha": {{Lora.Alpha}}, "lora_dropout": 0.0, "target_modules": [{{string.Join(", ", Lora.TargetModules.Select(m => $"\"{m}\""))}}]}"""));
        return (baseDir, adapterDir, model);
    }

    [Theory]
    [InlineData("llama")]
    [InlineData("qwen2")]
    public async Task Adapter_unmerged_and_merged_give_the_same_logprobs_as_the_training_model(string family)
    {
        var (baseDir, adapterDir, model) = WriteFolders(family);
        int[] prompt = [1, 4, 2, 8, 5, 7, 1, 4, 2, 8, 5, 7, 3];
        using var unmerged = SamplingClient.Load(baseDir, adapterDir);
        using var merged = SamplingClient.Load(baseDir, adapterDir, mergeAdapter: true);
        using var plain = SamplingClient.Load(baseDir);
        var a = await unmerged.ComputeLogprobsAsync(prompt);
        var b = await merged.ComputeLogprobsAsync(prompt);
        var c = await plain.ComputeLogprobsAsync(prompt);
        Assert.Null(a[0]);
        Assert.Null(b[0]);
        int t = prompt.Length - 1;
        var ones = Enumerable.Repeat(1f, t).ToArray();
        model.Forward(prompt.AsSpan(0, t), prompt.AsSpan(1, t), ones, 1, t, training: false);
        var want = model.TokenLogprobs.ToArray();
        for (int i = 1; i < prompt.Length; i++)
        {
            Assert.True(Math.Abs(a[i]!.Value - b[i]!.Value) <= 1e-5f, $"unmerged vs merged at {i}: {a[i]} vs {b[i]}");
            Assert.True(Math.Abs(a[i]!.Value - want[i - 1]) <= 1e-4f, $"vs training model at {i}: {a[i]} vs {want[i - 1]}");
        }
        Assert.Contains(Enumerable.Range(1, t), i => Math.Abs(a[i]!.Value - c[i]!.Value) > 1e-3f); // the adapter matters

        var p = new SamplingParams { Temperature = 0.8f, MaxTokens = 10, Seed = 3 };
        var su = await unmerged.SampleAsync(prompt, 2, p);
        var sm = await merged.SampleAsync(prompt, 2, p);
        for (int s = 0; s < 2; s++)
        {
            Assert.Equal(su.Sequences[s].Tokens, sm.Sequences[s].Tokens);
            for (int i = 0; i < su.Sequences[s].Logprobs.Length; i++)
                Assert.True(Math.Abs(su.Sequences[s].Logprobs[i] - sm.Sequences[s].Logprobs[i]) <= 1e-5f);
        }
    }

    [Theory]
    [InlineData("gpt2")]
    [InlineData("niels")]
    public async Task Sampled_logprobs_are_the_model_logprobs_of_the_sampled_tokens(string family)
    {
        var model = TinyModels.Model(family, seed: 6);
        using var client = new SamplingClient(InferenceModel.FromModel(model));
        int[] prompt = [2, 7, 1, 8, 2, 8];
        var r = await client.SampleAsync(prompt, 3, new SamplingParams { Temperature = 1.3f, TopP = 0.95f, MaxTokens = 12, Seed = 9 });
        Assert.Equal(3, r.Sequences.Count);
        foreach (var s in r.Sequences)
        {
            Assert.Equal(12, s.Tokens.Length);
            Assert.Equal(StopReason.Length, s.StopReason);
            var full = prompt.Concat(s.Tokens).ToArray();
            var lp = await client.ComputeLogprobsAsync(full);
            for (int i = 0; i < s.Tokens.Length; i++)
                Assert.True(Math.Abs(lp[prompt.Length + i]!.Value - s.Logprobs[i]) <= 1e-4f, $"token {i}: {lp[prompt.Length + i]} vs {s.Logprobs[i]}");
        }
    }
}
