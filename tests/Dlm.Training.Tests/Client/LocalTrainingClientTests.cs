using System.Text.Json.Nodes;
using Dlm.Chat;
using Dlm.Core;
using Dlm.Models.Config;
using Dlm.Models.IO;
using Dlm.Models.Lora;
using Dlm.Models.Transformer;
using Dlm.Training.Client;

namespace Dlm.Training.Tests.Client;

public class LocalTrainingClientTests
{
    private static List<Datum> Data(LocalTrainingClient client, int count, int first = 0)
    {
        var renderer = RendererRegistry.Create("role_colon", client.GetTokenizer());
        return Enumerable.Range(first, count)
            .Select(i => DatumBuilder.FromConversation(renderer, TinyModels.Conversation(i * 7 % 25), TrainOnWhat.AllAssistantMessages))
            .ToList();
    }

    private static List<Datum> MixedLengths(int count, int vocab, int seed)
    {
        var rng = new Random(seed);
        return Enumerable.Range(0, count).Select(_ =>
        {
            int len = rng.Next(3, 60);
            var tokens = Enumerable.Range(0, len + 1).Select(_ => rng.Next(vocab)).ToArray();
            var weights = Enumerable.Range(0, len + 1).Select(_ => rng.Next(3) == 0 ? 0f : 1f).ToArray();
            return DatumBuilder.FromModelInputWeights(ModelInput.FromInts(tokens), weights);
        }).ToList();
    }

    private static LocalTrainingClient Client(string model, string root, int lora = 0, int budget = 4096) =>
        new(new LocalTrainingOptions { BaseModel = model, CheckpointRoot = root, LoraRank = lora, TokensPerMicroBatch = budget, Seed = 3 });

    [Theory]
    [InlineData(ModelFamily.Llama, 0)]
    [InlineData(ModelFamily.Llama, 4)]
    [InlineData(ModelFamily.Gpt2, 0)]
    public async Task Micro_batches_give_the_gradient_of_one_big_batch(ModelFamily family, int lora)
    {
        var dir = TinyModels.TempDir();
        var model = TinyModels.ModelFolder(Path.Combine(dir, "m"), family);
        var client = Client(model, dir, lora, budget: 96);
        var data = MixedLengths(24, client.GetTokenizer().VocabSize, 5);
        Assert.True(MicroBatchPacker.Pack(data.Select(d => d.ModelInput.Length).ToList(), 96).Count > 8);
        var output = await client.ForwardBackwardAsync(data, "cross_entropy");

        // The same datums as one padded [24, longest] batch straight through the engine.
        int b = data.Count, t = data.Max(d => d.ModelInput.Length);
        var config = HfModelFolder.LoadConfig(model);
        var one = new TransformerModel(config, b, t, lora > 0 ? new LoraConfig(lora, 32f, 0f, LocalTrainingClient.AllLinear(config)) : null);
        one.InitializeWeights(3);
        HfModelFolder.LoadWeights(model, one.Layout, one.Weights);
        var tokens = new int[b * t];
        var targets = Enumerable.Repeat(-1, b * t).ToArray();
        var weights = new float[b * t];
        for (int i = 0; i < b; i++)
        {
            data[i].ModelInput.ToInts().CopyTo(tokens, i * t);
            for (int k = 0; k < data[i].ModelInput.Length; k++) targets[i * t + k] = (int)data[i].TargetTokens[k];
            data[i].Weights.CopyTo(weights.AsSpan(i * t));
        }
        var loss = one.Forward(tokens, targets, weights, b, t, training: true, HeadMode.Targets);
        one.Backward(1f);

        Assert.Equal(loss.Sum, output.Metrics["loss:sum"], 1e-5 * Math.Abs(loss.Sum));
        for (int i = 0; i < b; i++)
            for (int k = 0; k < data[i].ModelInput.Length; k++)
                Assert.Equal(one.TokenLogprobs[i * t + k], output.Logprobs(i)[k], 1e-5);
        var ga = one.TrainableGradients.ToArray();
        var gb = client.Model.TrainableGradients.ToArray();
        float scale = ga.Max(Math.Abs);
        Assert.True(scale > 0);
        for (int i = 0; i < ga.Length; i++) Assert.True(Math.Abs(ga[i] - gb[i]) <= 1e-5 * scale, $"grad {i}: {ga[i]} vs {gb[i]}");
        // The loss is -sum(w * logp), the token sum.
        double expected = 0;
        for (int i = 0; i < b; i++)
            for (int k = 0; k < data[i].Weights.Length; k++) expected -= data[i].Weights[k] * output.Logprobs(i)[k];
        Assert.Equal(expected, output.Metrics["loss:sum"], 1e-3);
    }

    [Fact]
    public void Packing_sorts_by_length_and_wastes_little_padding()
    {
        var rng = new Random(1);
        var lengths = Enumerable.Range(0, 64).Select(_ => rng.Next(32, 513)).ToList();
        var batches = MicroBatchPacker.Pack(lengths, 4096);
        Assert.Equal(Enumerable.Range(0, 64), batches.SelectMany(b => b.Indices).Order());
        Assert.All(batches, b => Assert.True(b.PaddedTokens <= 4096));
        long padded = batches.Sum(b => (long)b.PaddedTokens), real = lengths.Sum();
        Assert.True((padded - real) / (double)padded < 0.05, $"padding {padded - real} of {padded}");
    }

    [Theory]
    [InlineData("ppo")]
    [InlineData("importance_sampling")]
    [InlineData("cispo")]
    [InlineData("mse")]
    public async Task Other_loss_functions_are_refused_by_name(string loss)
    {
        var dir = TinyModels.TempDir();
        var client = Client(TinyModels.ModelFolder(Path.Combine(dir, "m")), dir);
        var e = await Assert.ThrowsAsync<DlmException>(() => client.ForwardBackwardAsync(Data(client, 2), loss));
        Assert.Contains($"'{loss}'", e.Message);
        Assert.Contains("cross_entropy", e.Message);
    }

    [Fact]
    public async Task A_lora_sampler_folder_is_a_peft_adapter_that_loads_back()
    {
        var dir = TinyModels.TempDir();
        var model = TinyModels.ModelFolder(Path.Combine(dir, "m"));
        var client = Client(model, dir, lora: 4);
        await client.ForwardBackwardAsync(Data(client, 4), "cross_entropy");
        await client.OptimStepAsync(new AdamParams { LearningRate = 1e-2 });
        var folder = await client.SaveWeightsForSamplerAsync("000001");

        var cfg = JsonNode.Parse(File.ReadAllText(Path.Combine(folder, "adapter_config.json")))!.AsObject();
        Assert.Equal("LORA", (string)cfg["peft_type"]!);
        Assert.Equal("CAUSAL_LM", (string)cfg["task_type"]!);
        Assert.Equal(4, (int)cfg["r"]!);
        Assert.Equal(32.0, (double)cfg["lora_alpha"]!);
        Assert.Equal(Path.GetFullPath(model), (string)cfg["base_model_name_or_path"]!);
        Assert.Equal(LocalTrainingClient.AllLinear(client.Model.Config), cfg["target_modules"]!.AsArray().Select(x => (string)x!));
        Assert.False((bool)cfg["fan_in_fan_out"]!);

        using (var file = SafeTensorsFile.Open(Path.Combine(folder, "adapter_model.safetensors")))
        {
            Assert.Contains("base_model.model.model.layers.1.self_attn.q_proj.lora_A.weight", file.Tensors.Keys);
            Assert.Equal([4L, 32L], file.Tensors["base_model.model.model.layers.1.self_attn.q_proj.lora_A.weight"].Shape);
            Assert.Equal([64L, 4L], file.Tensors["base_model.model.model.layers.0.mlp.gate_proj.lora_B.weight"].Shape);
            Assert.Equal(2 * 7 * 2, file.Tensors.Count);
        }
        // Back through the existing PEFT loader: same adapter values, same logits.
        var lora = HfModelFolder.LoadLoraConfig(folder);
        Assert.Equal(new LoraConfig(4, 32f, 0f, lora.TargetModules), lora);
        var loaded = HfModelFolder.LoadModel(model, 1, 16, lora);
        HfModelFolder.LoadLoraWeights(folder, loaded.Lora!, loaded.TrainableWeights);
        Assert.Equal(client.Model.TrainableWeights.ToArray(), loaded.TrainableWeights.ToArray());
        Assert.Contains(client.Model.TrainableWeights.ToArray(), x => x != 0);
        Assert.True(File.Exists(Path.Combine(folder, "tokenizer.json")));
    }

    [Fact]
    public async Task A_gpt2_adapter_uses_peft_names_under_transformer()
    {
        var dir = TinyModels.TempDir();
        var model = TinyModels.ModelFolder(Path.Combine(dir, "m"), ModelFamily.Gpt2);
        var client = Client(model, dir, lora: 2);
        await client.ForwardBackwardAsync(Data(client, 2), "cross_entropy");
        await client.OptimStepAsync(new AdamParams { LearningRate = 1e-2 });
        var folder = await client.SaveWeightsForSamplerAsync("x");
        using (var file = SafeTensorsFile.Open(Path.Combine(folder, "adapter_model.safetensors")))
            Assert.Contains("base_model.model.transformer.h.0.attn.c_attn.lora_A.weight", file.Tensors.Keys);
        Assert.True((bool)JsonNode.Parse(File.ReadAllText(Path.Combine(folder, "adapter_config.json")))!["fan_in_fan_out"]!);
        var loaded = HfModelFolder.LoadModel(model, 1, 16, HfModelFolder.LoadLoraConfig(folder));
        HfModelFolder.LoadLoraWeights(folder, loaded.Lora!, loaded.TrainableWeights);
        Assert.Equal(client.Model.TrainableWeights.ToArray(), loaded.TrainableWeights.ToArray());
    }

    [Fact]
    public async Task A_full_fine_tune_sampler_folder_is_a_hugging_face_folder()
    {
        var dir = TinyModels.TempDir();
        var model = TinyModels.ModelFolder(Path.Combine(dir, "m"));
        var client = Client(model, dir);
        await client.ForwardBackwardAsync(Data(client, 4), "cross_entropy");
        await client.OptimStepAsync(new AdamParams { LearningRate = 1e-2 });
        var folder = await client.SaveWeightsForSamplerAsync("final");
        var loaded = HfModelFolder.LoadModel(folder, 1, 16);
        Assert.Equal(client.Model.Weights.ToArray(), loaded.Weights.ToArray());
        Assert.NotEqual(HfModelFolder.LoadModel(model, 1, 16).Weights.ToArray(), loaded.Weights.ToArray());
        Assert.True(File.Exists(Path.Combine(folder, "tokenizer.json")));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(4)]
    public async Task Saved_state_resumes_bit_for_bit(int lora)
    {
        var dir = TinyModels.TempDir();
        var model = TinyModels.ModelFolder(Path.Combine(dir, "m"));
        var adam = new AdamParams { LearningRate = 3e-3, WeightDecay = 0.01, GradClipNorm = 1 };
        async Task Steps(LocalTrainingClient c, int from, int count)
        {
            for (int s = from; s < from + count; s++)
            {
                await c.ForwardBackwardAsync(Data(c, 5, s * 5), "cross_entropy");
                await c.OptimStepAsync(adam with { LearningRate = adam.LearningRate * (1 - s / 10.0) });
            }
        }
        var straight = Client(model, dir, lora);
        await Steps(straight, 0, 2);
        var state = await straight.SaveStateAsync("000002");
        await Steps(straight, 2, 3);

        var resumed = Client(model, Path.Combine(dir, "other"), lora);
        await resumed.LoadStateAsync(state, withOptimizer: true);
        Assert.Equal(2, resumed.Step);
        await Steps(resumed, 2, 3);
        Assert.Equal(straight.Model.Weights.ToArray(), resumed.Model.Weights.ToArray());
        Assert.Equal(straight.Model.TrainableWeights.ToArray(), resumed.Model.TrainableWeights.ToArray());

        var weightsOnly = Client(model, Path.Combine(dir, "third"), lora);
        await weightsOnly.LoadStateAsync(state, withOptimizer: false);
        Assert.Equal(0, weightsOnly.Step);
    }

    [Fact]
    public async Task Info_and_tokenizer_describe_the_model()
    {
        var dir = TinyModels.TempDir();
        var model = TinyModels.ModelFolder(Path.Combine(dir, "m"));
        var client = Client(model, dir, lora: 2);
        var info = client.GetInfo();
        Assert.Equal("llama", info.ModelType);
        Assert.Equal(2, info.LoraRank);
        Assert.True(info.TrainableParameters < info.Parameters);
        Assert.Equal(128, info.ContextLength);
        Assert.Equal(client.GetTokenizer().Encode("two plus"), Dlm.Tokenizers.Tokenizer.FromPath(model).Encode("two plus"));
        await Task.CompletedTask;
    }

    [Fact]
    public void A_preset_trains_from_scratch_with_a_given_tokenizer()
    {
        var dir = TinyModels.TempDir();
        var tok = TinyModels.Tokenizer(Path.Combine(dir, "tok"));
        var client = new LocalTrainingClient(new LocalTrainingOptions { BaseModel = "preset:niels-tiny", TokenizerPath = tok, CheckpointRoot = dir });
        Assert.Equal("niels", client.GetInfo().ModelType);
        Assert.Equal(client.GetTokenizer().VocabSize, client.Model.Config.VocabSize);
        Assert.Throws<DlmException>(() => new LocalTrainingClient(new LocalTrainingOptions { BaseModel = "preset:niels-tiny", CheckpointRoot = dir }));
        Assert.Contains("lora_rank=0", Assert.Throws<DlmException>(() =>
            new LocalTrainingClient(new LocalTrainingOptions { BaseModel = "preset:niels-tiny", TokenizerPath = tok, CheckpointRoot = dir, LoraRank = 2 })).Message);
    }
}
