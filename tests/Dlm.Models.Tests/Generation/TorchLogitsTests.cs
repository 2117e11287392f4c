using Dlm.Models.Generation;
using Dlm.Models.Tests.Transformer;
using Dlm.Numerics.Kernels;

namespace Dlm.Models.Tests.Generation;

/// <summary>Token-by-token decoding with the cache against the PyTorch logits of tools/reference/torch_reference.py.</summary>
public sealed class TorchLogitsTests
{
    [Theory]
    [InlineData("niels", false)]
    [InlineData("llama", false)]
    [InlineData("qwen2", false)]
    [InlineData("gpt2", false)]
    [InlineData("llama_lora", false)]
    [InlineData("llama_lora", true)]
    public void Prefill_then_steps_reproduce_the_pytorch_logits(string fixture, bool mergeAdapter)
    {
        using var f = new TorchFixture(fixture);
        var engine = InferenceModel.Load(f.Folder, WeightFormat.F32, f.IsLora ? f.Folder : null, mergeAdapter);
        int v = engine.Config.VocabSize;
        var want = f.Expected.ReadFloat32("logits");
        var session = new InferenceSession(engine, f.Batch, f.Seq);
        var logits = new float[f.Batch * v];
        const int prompt = 3;
        for (int b = 0; b < f.Batch; b++) session.Prefill(b, f.Tokens.AsSpan(b * f.Seq, prompt), logits.AsSpan(b * v, v));
        for (int t = prompt - 1; t < f.Seq; t++)
        {
            for (int b = 0; b < f.Batch; b++)
            {
                var expected = want.AsSpan((b * f.Seq + t) * v, v);
                float d = TinyModels.MaxAbsDiff(expected, logits.AsSpan(b * v, v));
                Assert.True(d <= 1e-4f, $"{fixture} sequence {b} position {t}: logits differ from PyTorch by {d}");
            }
            if (t + 1 < f.Seq)
                session.Step(Enumerable.Range(0, f.Batch).ToArray(), Enumerable.Range(0, f.Batch).Select(b => f.Tokens[b * f.Seq + t + 1]).ToArray(), logits);
        }
    }
}
