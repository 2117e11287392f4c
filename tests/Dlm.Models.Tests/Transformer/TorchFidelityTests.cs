using Dlm.Models.Transformer;
using Dlm.Models.IO;

namespace Dlm.Models.Tests.Transformer;

/// <summary>Logits, loss and every gradient against PyTorch (tests/fixtures/models, tools/reference/torch_reference.py).</summary>
public class TorchFidelityTests
{
    public static TheoryData<string> Families => new() { "niels", "llama", "qwen2", "gpt2", "llama_lora" };

    [Theory]
    [MemberData(nameof(Families))]
    public void Forward_and_backward_match_pytorch(string name)
    {
        using var fx = new TorchFixture(name);
        var model = fx.LoadModel();
        var loss = model.Forward(fx.Tokens, fx.Targets, fx.Weights, fx.Batch, fx.Seq, training: true, HeadMode.Logits);

        TorchFixture.AssertClose("logits", model.Logits, fx.Tensor("logits"));
        TorchFixture.AssertClose("logprobs", model.TokenLogprobs, fx.Tensor("logprobs"));
        TorchFixture.AssertClose("loss", [(float)loss.Mean], fx.Tensor("loss"));
        TorchFixture.AssertClose("loss_sum", [(float)loss.Sum], fx.Tensor("loss_sum"));
        TorchFixture.AssertClose("weight_sum", [(float)loss.WeightSum], fx.Tensor("weight_sum"));

        model.ZeroGradients();
        model.Backward((float)(1.0 / loss.WeightSum));
        var grads = model.TrainableGradients.ToArray();
        int checkedCount = 0;
        foreach (var t in model.TrainableTensors)
        {
            var ours = HfModelFolder.ToFileLayout(t, grads.AsSpan(t.Offset, t.Length));
            TorchFixture.AssertClose("grad." + t.Name, ours, fx.Tensor("grad." + t.Name));
            checkedCount++;
        }
        Assert.Equal(fx.Expected.Tensors.Keys.Count(k => k.StartsWith("grad.", StringComparison.Ordinal)), checkedCount);
    }

    [Fact]
    public void Dropout_in_training_matches_pytorch_on_the_same_masks()
    {
        // niels_dropout: dropout 0.1 on the embeddings, attention probabilities and both branches,
        // PyTorch drawing dlm's masks from the same stream state (DlmDropout in torch_reference.py).
        using var fx = new TorchFixture("niels_dropout");
        var model = fx.LoadModel();
        Assert.Equal(0.1f, model.Config.Dropout);
        model.RngState = ulong.Parse(fx.Expected.Metadata["rng_state"], System.Globalization.CultureInfo.InvariantCulture);
        var loss = model.Forward(fx.Tokens, fx.Targets, fx.Weights, fx.Batch, fx.Seq, training: true, HeadMode.Logits);
        TorchFixture.AssertClose("logits", model.Logits, fx.Tensor("logits"));
        TorchFixture.AssertClose("loss", [(float)loss.Mean], fx.Tensor("loss"));
        model.ZeroGradients();
        model.Backward((float)(1.0 / loss.WeightSum));
        var grads = model.TrainableGradients.ToArray();
        foreach (var t in model.TrainableTensors)
            TorchFixture.AssertClose("grad." + t.Name, HfModelFolder.ToFileLayout(t, grads.AsSpan(t.Offset, t.Length)), fx.Tensor("grad." + t.Name));
        Assert.Equal(fx.Expected.Tensors.Keys.Count(k => k.StartsWith("grad.", StringComparison.Ordinal)), model.TrainableTensors.Count);

        // Eval mode drops nothing: the logits differ from the training pass.
        model.Forward(fx.Tokens, fx.Targets, fx.Weights, fx.Batch, fx.Seq, training: false, HeadMode.Logits);
        var expected = fx.Tensor("logits");
        Assert.True(model.Logits.ToArray().Zip(expected).Max(p => Math.Abs(p.First - p.Second)) > 1e-2f);
    }

    // The chunked head (HeadMode.Weighted / Targets), in chunks of 5 rows so that a chunk mixes
    // rows and the weighted rows span several chunks: training passes compute the head gradient in
    // the forward pass (scale applied in Backward), eval passes recompute it in Backward.
    public static TheoryData<string, HeadMode, bool> ChunkedCases => new()
    {
        { "niels", HeadMode.Weighted, true }, { "llama", HeadMode.Weighted, true }, { "qwen2", HeadMode.Targets, true },
        { "gpt2", HeadMode.Weighted, false }, { "llama_lora", HeadMode.Weighted, true }, { "llama_lora", HeadMode.Targets, false },
    };

    [Theory]
    [MemberData(nameof(ChunkedCases))]
    public void Chunked_head_skips_unweighted_rows_and_matches_pytorch(string name, HeadMode head, bool training)
    {
        using var fx = new TorchFixture(name);
        var model = fx.LoadModel();
        model.HeadChunkRows = 5;
        var loss = model.Forward(fx.Tokens, fx.Targets, fx.Weights, fx.Batch, fx.Seq, training, head);
        TorchFixture.AssertClose("loss", [(float)loss.Mean], fx.Tensor("loss"));
        TorchFixture.AssertClose("loss_sum", [(float)loss.Sum], fx.Tensor("loss_sum"));
        Assert.Throws<InvalidOperationException>(() => model.Logits.Length);
        var expected = fx.Tensor("logprobs");
        var want = expected.Select((x, i) => head == HeadMode.Targets || fx.Weights[i] != 0f ? x : 0f).ToArray();
        Assert.Contains(fx.Weights, w => w == 0f);
        TorchFixture.AssertClose("logprobs", model.TokenLogprobs, want);

        model.ZeroGradients();
        model.Backward((float)(1.0 / loss.WeightSum));
        var grads = model.TrainableGradients.ToArray();
        foreach (var t in model.TrainableTensors)
            TorchFixture.AssertClose("grad." + t.Name, HfModelFolder.ToFileLayout(t, grads.AsSpan(t.Offset, t.Length)), fx.Tensor("grad." + t.Name));
        Assert.Throws<InvalidOperationException>(() => model.Backward(1f));
    }

    [Theory]
    [MemberData(nameof(Families))]
    public void Gradients_accumulate_across_backward_passes(string name)
    {
        using var fx = new TorchFixture(name);
        var model = fx.LoadModel();
        var loss = model.Forward(fx.Tokens, fx.Targets, fx.Weights, fx.Batch, fx.Seq, training: false);
        model.ZeroGradients();
        model.Backward((float)(0.5 / loss.WeightSum));
        model.Forward(fx.Tokens, fx.Targets, fx.Weights, fx.Batch, fx.Seq, training: false);
        model.Backward((float)(0.5 / loss.WeightSum));
        var t = model.TrainableTensors[^1];
        var ours = HfModelFolder.ToFileLayout(t, model.TrainableGradients.Slice(t.Offset, t.Length));
        TorchFixture.AssertClose("grad." + t.Name, ours, fx.Tensor("grad." + t.Name));
    }
}
