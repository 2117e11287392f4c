using Dlm.Models.Config;
using Dlm.Models.Lora;
using Dlm.Models.Tests.Transformer;
using Dlm.Models.Transformer;
using Dlm.Core;

namespace Dlm.Models.Tests.Lora;

public class LoraTests
{
    [Theory]
    [InlineData(ModelFamily.Llama, new[] { "q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj" })]
    [InlineData(ModelFamily.Gpt2, new[] { "c_attn", "c_proj", "c_fc" })]
    [InlineData(ModelFamily.Niels, new[] { "q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj" })]
    public void Merged_weights_give_the_adapted_logits(ModelFamily family, string[] targets)
    {
        var cfg = ModelGradientTests.Tiny(family, 0f);
        var adapted = new TransformerModel(cfg, 1, 6, new LoraConfig(3, 6, 0f, targets));
        adapted.InitializeWeights(1);
        ModelGradientTests.Randomize(adapted.Weights, 2, 0.3f);
        ModelGradientTests.Randomize(adapted.TrainableWeights, 3, 0.3f);
        var plain = new TransformerModel(cfg, 1, 6);
        adapted.Weights.CopyTo(plain.Weights);
        int[] tokens = [3, 1, 4, 1, 5, 9];
        plain.Forward(tokens, [], [], 1, 6, false);
        var before = plain.Logits.ToArray();
        adapted.Forward(tokens, [], [], 1, 6, false);
        var expected = adapted.Logits.ToArray();
        TorchFixture.AssertClose("adapters change the logits", [(float)before.Zip(expected, (a, b) => Math.Abs(a - b)).Max() > 1e-3 ? 1 : 0], [1f], 0);

        adapted.MergeLora();
        adapted.Weights.CopyTo(plain.Weights);
        plain.Forward(tokens, [], [], 1, 6, false);
        TorchFixture.AssertClose("merged logits", plain.Logits, expected, 1e-5);
    }

    [Fact]
    public void Only_adapter_gradients_are_allocated_and_the_base_stays_frozen()
    {
        var cfg = ModelGradientTests.Tiny(ModelFamily.Llama, 0f);
        var model = new TransformerModel(cfg, 1, 4, new LoraConfig(2, 4, 0f, ["q_proj"]));
        Assert.Equal(model.Lora!.Count, model.TrainableGradients.Length);
        Assert.Equal(2 * cfg.Layers, model.TrainableTensors.Count);
        Assert.All(model.TrainableTensors, t => Assert.Contains("lora_", t.Name, StringComparison.Ordinal));
        model.InitializeWeights(1);
        ModelGradientTests.Randomize(model.TrainableWeights, 3, 0.3f);
        var baseBefore = model.Weights.ToArray();
        var loss = model.Forward([1, 2, 3, 4], [2, 3, 4, 5], [1, 1, 1, 1], 1, 4, true);
        model.ZeroGradients();
        model.Backward((float)(1 / loss.WeightSum));
        Assert.Equal(baseBefore, model.Weights.ToArray());
        Assert.Contains(model.TrainableGradients.ToArray(), g => g != 0f);
    }

    [Fact]
    public void An_unknown_target_module_is_a_clear_error()
    {
        var cfg = ModelGradientTests.Tiny(ModelFamily.Llama, 0f);
        var e = Assert.Throws<DlmException>(() => new TransformerModel(cfg, 1, 4, new LoraConfig(2, 4, 0f, ["c_attn"])));
        Assert.Contains("c_attn", e.Message, StringComparison.Ordinal);
    }
}
