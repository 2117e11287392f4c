using System.Globalization;
using Dlm.Models.Config;

namespace Dlm.Documents.Training;

/// <summary>
/// Rows per micro-batch and micro-batches per optimizer step, from the document or chosen from
/// memory when <c>auto</c>. The rule for <c>auto</c>:
/// <list type="bullet">
/// <item><c>micro_batch_size</c>: the largest of 8, 4, 2, 1 whose activations fit in half of the
/// memory left after the weights (<c>GC</c>'s available memory, less twice the base weights in
/// float32): <c>micro × sequence_len × bytes_per_token ≤ (available − 2 × weights) / 2</c>, with
/// <see cref="ActivationBytesPerToken"/> the engine's buffers per token (activations, their
/// gradients, the T×T attention of every layer and head, logits); never more than the training
/// sequences;</item>
/// <item><c>grad_accum</c>: enough micro-batches for 8 rows per step, <c>ceil(8 / micro)</c>.</item>
/// </list>
/// </summary>
/// <param name="MicroBatchSize">Sequences per forward/backward pass.</param>
/// <param name="GradAccum">Micro-batches whose gradients add up before one optimizer step.</param>
/// <param name="SequenceLen">Most inputs per sequence.</param>
/// <param name="Reason">How the two were chosen, one line.</param>
public sealed record BatchPlan(int MicroBatchSize, int GradAccum, int SequenceLen, string Reason)
{
    /// <summary>Rows per optimizer step <c>auto</c> aims at.</summary>
    public const int TargetRowsPerStep = 8;

    /// <summary>Sequences per optimizer step.</summary>
    public int RowsPerStep => MicroBatchSize * GradAccum;

    /// <summary>Optimizer steps one epoch over <paramref name="sequences"/> takes (the last, partial batch included).</summary>
    public int StepsPerEpoch(int sequences) => sequences == 0 ? 0 : (sequences + RowsPerStep - 1) / RowsPerStep;

    /// <summary>The plan for a document's settings (null = <c>auto</c>).</summary>
    public static BatchPlan Choose(int? microBatchSize, int? gradAccum, ModelConfig config, int sequenceLen, int trainSequences, long? availableBytes = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        long available = availableBytes ?? GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
        long weights = 4L * new Dlm.Models.Transformer.ParameterLayout(config).Count;
        long budget = Math.Max(0, (available - 2 * weights) / 2);
        long perSequence = ActivationBytesPerToken(config, sequenceLen) * sequenceLen;
        string why;
        int micro;
        if (microBatchSize is { } m)
        {
            micro = m;
            why = "micro_batch_size from the document";
        }
        else
        {
            micro = 1;
            foreach (var c in new[] { 8, 4, 2 })
                if (c * perSequence <= budget) { micro = c; break; }
            micro = Math.Max(1, Math.Min(micro, trainSequences));
            why = string.Create(CultureInfo.InvariantCulture,
                $"micro_batch_size auto = {micro} ({perSequence / 1e6:F1} MB of activations per sequence, {budget / 1e9:F1} GB budget = half the {available / 1e9:F1} GB available after the weights)");
        }
        int accum;
        if (gradAccum is { } g)
        {
            accum = g;
            why += ", grad_accum from the document";
        }
        else
        {
            accum = Math.Max(1, (TargetRowsPerStep + micro - 1) / micro);
            why += string.Create(CultureInfo.InvariantCulture, $", grad_accum auto = {accum} (ceil({TargetRowsPerStep} / micro_batch_size) for {TargetRowsPerStep} rows per step)");
        }
        return new BatchPlan(micro, accum, sequenceLen, why);
    }

    /// <summary>
    /// Bytes of engine buffers per token of a training micro-batch at <paramref name="sequenceLen"/>:
    /// per layer the residual, norm, QKV, attention output, MLP activations and the attention
    /// probabilities (heads × T per token), doubled for their gradients, plus the logits; float32.
    /// </summary>
    public static long ActivationBytesPerToken(ModelConfig config, int sequenceLen)
    {
        ArgumentNullException.ThrowIfNull(config);
        long c = config.DModel, hd = config.ResolvedHeadDim, qkv = (config.Heads + 2L * config.KvHeads) * hd, qd = config.Heads * hd;
        long fc = config.Family == ModelFamily.Gpt2 ? config.DFf : 2L * config.DFf;
        long perLayer = 4 * c + qkv + qd + fc + config.DFf + (long)config.Heads * sequenceLen;
        long floats = 2 * (config.Layers * perLayer + 2 * c) + 2L * config.VocabSize;
        return 4 * floats;
    }
}
