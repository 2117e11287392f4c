using Dlm.Documents.Training;
using Dlm.Models.Config;
using Dlm.Models.Transformer;

namespace Dlm.Documents.Tests.Training;

public sealed class BatchPlanTests
{
    private static readonly ModelConfig Smol = new()
    {
        Family = ModelFamily.Llama, ModelType = "llama", VocabSize = 49152, ContextLength = 8192, DModel = 576, Layers = 30,
        Heads = 9, KvHeads = 3, DFf = 1536, TiedEmbeddings = true,
    };

    [Fact]
    public void Auto_takes_the_largest_micro_batch_whose_activations_fit_half_the_memory_after_the_weights()
    {
        long perSeq = BatchPlan.ActivationBytesPerToken(Smol, 2048) * 2048;
        long weights = 4L * new ParameterLayout(Smol).Count;
        // Exactly 4 sequences fit the budget: micro 4, accum 2.
        long available = 2 * weights + 2 * (4 * perSeq);
        var p = BatchPlan.Choose(null, null, Smol, 2048, 100, available);
        Assert.Equal((4, 2, 8), (p.MicroBatchSize, p.GradAccum, p.RowsPerStep));
        // One byte less: micro 2, accum 4; tiny memory: micro 1, accum 8.
        p = BatchPlan.Choose(null, null, Smol, 2048, 100, available - 2);
        Assert.Equal((2, 4), (p.MicroBatchSize, p.GradAccum));
        p = BatchPlan.Choose(null, null, Smol, 2048, 100, weights);
        Assert.Equal((1, 8), (p.MicroBatchSize, p.GradAccum));
        // Never more rows than there are sequences; the document's numbers win.
        p = BatchPlan.Choose(null, null, Smol, 2048, 3, long.MaxValue / 4);
        Assert.Equal((3, 3), (p.MicroBatchSize, p.GradAccum));
        p = BatchPlan.Choose(2, 5, Smol, 2048, 100, weights);
        Assert.Equal((2, 5, 10), (p.MicroBatchSize, p.GradAccum, p.RowsPerStep));
        Assert.Equal(10, p.StepsPerEpoch(95));
        Assert.Equal(0, p.StepsPerEpoch(0));
    }

    [Fact]
    public void The_estimate_grows_with_the_attention_matrix()
    {
        long at512 = BatchPlan.ActivationBytesPerToken(Smol, 512), at2048 = BatchPlan.ActivationBytesPerToken(Smol, 2048);
        // Per token: 2 x 4 bytes x layers x heads more for each extra position of T.
        Assert.Equal(2L * 4 * Smol.Layers * Smol.Heads * (2048 - 512), at2048 - at512);
    }
}
