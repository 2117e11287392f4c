using Dlm.Models.IO;
using Dlm.Models.Transformer;
using Dlm.TestSupport;

namespace Dlm.Models.Tests.Transformer;

/// <summary>One fixture folder written by tools/reference/torch_reference.py.</summary>
internal sealed class TorchFixture : IDisposable
{
    public string Folder { get; }
    public SafeTensorsFile Expected { get; }
    public int Batch { get; }
    public int Seq { get; }
    public int[] Tokens { get; }
    public int[] Targets { get; }
    public float[] Weights { get; }
    public bool IsLora => File.Exists(Path.Combine(Folder, "adapter_config.json"));

    public TorchFixture(string name)
    {
        Folder = RepoPaths.Fixture("models", name);
        Expected = SafeTensorsFile.Open(Path.Combine(Folder, "expected.safetensors"));
        using var batch = SafeTensorsFile.Open(Path.Combine(Folder, "batch.safetensors"));
        var shape = batch.Tensors["tokens"].Shape;
        Batch = (int)shape[0];
        Seq = (int)shape[1];
        Tokens = batch.ReadInt64("tokens").Select(x => (int)x).ToArray();
        Targets = batch.ReadInt64("targets").Select(x => (int)x).ToArray();
        Weights = batch.ReadFloat32("weights");
    }

    /// <summary>The model with the fixture's weights (and adapters), sized for the batch.</summary>
    public TransformerModel LoadModel(int maxSeq = 0)
    {
        var lora = IsLora ? HfModelFolder.LoadLoraConfig(Folder) : null;
        var model = HfModelFolder.LoadModel(Folder, Batch, maxSeq > 0 ? maxSeq : Seq, lora);
        if (model.Lora is { } adapters) HfModelFolder.LoadLoraWeights(Folder, adapters, model.TrainableWeights);
        return model;
    }

    public float[] Tensor(string name) => Expected.ReadFloat32(name);

    public void Dispose() => Expected.Dispose();

    /// <summary>The criterion: max|a − b| / (max|b| + 1e-8) ≤ tol.</summary>
    public static void AssertClose(string what, ReadOnlySpan<float> actual, ReadOnlySpan<float> expected, double tol = 1e-4)
    {
        Assert.True(actual.Length == expected.Length, $"{what}: length {actual.Length} != {expected.Length}");
        double maxDiff = 0, maxRef = 0;
        for (int i = 0; i < actual.Length; i++)
        {
            Assert.False(float.IsNaN(actual[i]), $"{what}[{i}] is NaN");
            maxDiff = Math.Max(maxDiff, Math.Abs((double)actual[i] - expected[i]));
            maxRef = Math.Max(maxRef, Math.Abs((double)expected[i]));
        }
        double rel = maxDiff / (maxRef + 1e-8);
        Assert.True(rel <= tol, $"{what}: relative error {rel:E3} > {tol:E1} (max diff {maxDiff:E3}, max ref {maxRef:E3})");
    }
}
