using System.Text.Json.Nodes;
using Dlm.Chat;
using Dlm.Models.Generation;
using Dlm.Training.Client;

namespace Dlm.Training.Tests.Client;

/// <summary>What SaveWeightsForSamplerAsync writes is what the sampling client reads: same logprobs as the trained model.</summary>
public class SamplerHandOffTests
{
    [Theory]
    [InlineData(0)]
    [InlineData(4)]
    public async Task The_sampling_client_loads_the_sampler_weights_and_agrees_with_the_trainer(int lora)
    {
        var dir = TinyModels.TempDir();
        var model = TinyModels.ModelFolder(Path.Combine(dir, "m"));
        var client = new LocalTrainingClient(new LocalTrainingOptions { BaseModel = model, CheckpointRoot = dir, LoraRank = lora, Seed = 2 });
        var renderer = RendererRegistry.Create("role_colon", client.GetTokenizer());
        var data = Enumerable.Range(0, 6).Select(i => DatumBuilder.FromConversation(renderer, TinyModels.Conversation(i), TrainOnWhat.AllAssistantMessages)).ToList();
        for (int s = 0; s < 3; s++)
        {
            await client.ForwardBackwardAsync(data, "cross_entropy");
            await client.OptimStepAsync(new AdamParams { LearningRate = 1e-2 });
        }
        var folder = await client.SaveWeightsForSamplerAsync("final");

        // A LoRA folder names its base; dlm sample takes it as --model and the folder as --adapter.
        string baseFolder = lora > 0 ? (string)JsonNode.Parse(File.ReadAllText(Path.Combine(folder, "adapter_config.json")))!["base_model_name_or_path"]! : folder;
        using var sampler = SamplingClient.Load(baseFolder, lora > 0 ? folder : null);
        var trained = await client.ForwardAsync(data, "cross_entropy");
        for (int i = 0; i < data.Count; i++)
        {
            var tokens = data[i].ModelInput.ToInts().Append((int)data[i].TargetTokens[^1]).ToList();
            var lp = await sampler.ComputeLogprobsAsync(tokens);
            Assert.Null(lp[0]);
            for (int k = 0; k < data[i].ModelInput.Length; k++)
                Assert.Equal(trained.Logprobs(i)[k], lp[k + 1]!.Value, 1e-4);
        }
    }
}
