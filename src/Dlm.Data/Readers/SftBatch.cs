namespace Dlm.Data.Readers;

/// <summary>
/// A padded SFT batch, B rows of T, row-major: <see cref="Inputs"/> the ids, <see cref="Targets"/>
/// the shifted labels (-100 where no loss applies: untrained tokens and padding), and
/// <see cref="LossMask"/> 1 where a target is trained, 0 elsewhere.
/// </summary>
public sealed class SftBatch
{
    /// <summary>An empty batch of <paramref name="batchSize"/> rows of <paramref name="contextLength"/>.</summary>
    public SftBatch(int batchSize, int contextLength)
    {
        BatchSize = batchSize;
        ContextLength = contextLength;
        Inputs = new int[batchSize * contextLength];
        Targets = new int[batchSize * contextLength];
        LossMask = new float[batchSize * contextLength];
        Sources = new string[batchSize];
    }

    /// <summary>B.</summary>
    public int BatchSize { get; }

    /// <summary>T.</summary>
    public int ContextLength { get; }

    /// <summary>B*T input ids (padding: the eot id).</summary>
    public int[] Inputs { get; }

    /// <summary>B*T target ids, -100 where untrained.</summary>
    public int[] Targets { get; }

    /// <summary>B*T weights: 1 where the target is trained.</summary>
    public float[] LossMask { get; }

    /// <summary>The source of each row.</summary>
    public string[] Sources { get; }
}
