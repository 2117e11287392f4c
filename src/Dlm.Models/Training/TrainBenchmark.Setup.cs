using Dlm.Core;
using Dlm.Models.Config;
using Dlm.Models.Optim;
using Dlm.Models.Transformer;
using Dlm.Numerics.Gemm;
using Dlm.Numerics.Threading;

namespace Dlm.Models.Training;

public static partial class TrainBenchmark
{
    // What every timing of a preset builds: the model (its weights seeded), its trainer, the batch shape
    // and, with a thread count, a worker pool of its own (and a managed GEMM on it).
    private sealed class Setup : IDisposable
    {
        private WorkerPool? _ownPool;

        public required ModelConfig Config { get; init; }
        public required int Batch { get; init; }
        public required int Seq { get; init; }
        public required TransformerModel Model { get; init; }
        public required ModelTrainer Trainer { get; init; }

        public static Setup Create(string preset, bool lora, int? seq, int? batch, int? threads, Action<string>? progress = null)
        {
            if (!PresetTable.TryGetValue(preset, out var p))
                throw new DlmException($"unknown preset '{preset}' (known: {string.Join(", ", PresetTable.Keys)})");
            if (seq is <= 1 || batch is <= 0) throw new DlmException("sequence length must be at least 2 and batch positive");
            if (threads is <= 0) throw new DlmException($"threads must be positive, not {threads}");
            var cfg = p.Config;
            int t = seq ?? cfg.ContextLength;
            int b = batch ?? (seq is null ? p.Batch : Math.Max(1, p.Batch * cfg.ContextLength / t));
            cfg = cfg with { ContextLength = Math.Max(cfg.ContextLength, t) };
            var pool = threads is { } n ? new WorkerPool(n) : null;
            var gemm = TrainingGemm.Default;
            if (pool is not null && gemm is ManagedGemm) gemm = new ManagedGemm(pool);
            var model = new TransformerModel(cfg, b, t, lora ? BenchLora : null, gemm: gemm, pool: pool);
            model.InitializeWeights(0);
            if (gemm is PerShapeGemm) progress?.Invoke("per-shape GEMM: timing both backends on the step's products");
            var trainer = new ModelTrainer(model, AdamWOptions.NielsGptPretrain, new ConstantRate(3e-4f), 1f);
            return new Setup { Config = cfg, Batch = b, Seq = t, Model = model, Trainer = trainer, _ownPool = pool };
        }

        // Seeded random windows: tokens, next-token targets, all weights 1, and the same with the
        // first half of every sequence at weight 0 (an SFT prompt).
        public (int[] Tokens, int[] Targets, float[] Full, float[] Half) Batches()
        {
            int n = Batch * Seq;
            var rng = new Random(0);
            var tokens = new int[n];
            var targets = new int[n];
            var full = new float[n];
            full.AsSpan().Fill(1f);
            var half = new float[n];
            half.AsSpan().Fill(1f);
            for (int i = 0; i < Batch; i++)
            {
                var window = Enumerable.Range(0, Seq + 1).Select(_ => rng.Next(Config.VocabSize)).ToArray();
                window.AsSpan(0, Seq).CopyTo(tokens.AsSpan(i * Seq));
                window.AsSpan(1, Seq).CopyTo(targets.AsSpan(i * Seq));
                half.AsSpan(i * Seq, Seq / 2).Clear();
            }
            return (tokens, targets, full, half);
        }

        public void Dispose()
        {
            _ownPool?.Dispose();
            _ownPool = null;
        }
    }
}
