using System.Text.Json.Nodes;
using Dlm.Chat;
using Dlm.Models.IO;
using Dlm.Tokenizers;
using Dlm.Training.FromScratch;

namespace Dlm.Training.Tests.FromScratch;

/// <summary>The pipeline end to end on a tiny model: files, formats, skip logic, SFT masking.</summary>
public class ScratchPipelineTests
{
    [Fact]
    public async Task Pipeline_pretrains_then_fine_tunes_the_best_checkpoint_and_a_rerun_skips_both()
    {
        var run = TinyModels.TempDir();
        var messages = new List<string>();
        var progress = new SyncProgress(p => { if (p.Message is { } m) lock (messages) messages.Add(m); });
        var options = new ScratchPipelineOptions
        {
            SettingsPath = ScratchFixture.Settings,
            RunDir = run,
            PretrainMaxSteps = 20,
            SftMaxSteps = 10,
        };
        var r = await ScratchPipeline.RunAsync(options, progress);

        Assert.True(r.Complete);
        Assert.Equal(StageOutcome.Completed, r.Pretrain.Outcome);
        Assert.Equal(StageOutcome.Completed, r.Sft.Outcome);
        Assert.Equal(Path.Combine(run, "sft", "checkpoints", "best"), r.FinalModelPath);
        Assert.Contains(messages, m => m.StartsWith("sft: niels model from " + Path.Combine(run, "pretrain", "checkpoints", "best"), StringComparison.Ordinal));

        // Pretraining trains every token; SFT only the labelled (assistant) ones.
        var preTokens = ScratchFixture.Column(r.Pretrain.Dir, "num_tokens");
        Assert.Equal(ScratchFixture.Column(r.Pretrain.Dir, "num_loss_tokens"), preTokens);
        var sftLoss = ScratchFixture.Column(r.Sft.Dir, "num_loss_tokens");
        var sftTokens = ScratchFixture.Column(r.Sft.Dir, "num_tokens");
        Assert.All(sftLoss, kv => Assert.InRange(kv.Value, 1, sftTokens[kv.Key] - 1));

        // The files: metrics (step 0 = the untrained val loss, then one row per step), loss.png, checkpoints pruned to keep_checkpoints.
        Assert.Equal(Enumerable.Range(0, 21), ScratchFixture.Column(r.Pretrain.Dir, "test/nll").Keys.Concat(ScratchFixture.Column(r.Pretrain.Dir, "train_mean_nll").Keys).Distinct().Order());
        Assert.True(File.Exists(r.Pretrain.LossPlotPath));
        Assert.Equal(["step_0000010", "step_0000020"], CheckpointFolders.Steps(Path.Combine(r.Pretrain.Dir, "checkpoints")).Select(Path.GetFileName));
        Assert.Equal(["step_0000010"], CheckpointFolders.Steps(Path.Combine(r.Sft.Dir, "checkpoints")).Select(Path.GetFileName));

        // Every checkpoint is a Hugging Face folder of a niels model with the niels chat template.
        var best = r.Sft.BestModelPath!;
        foreach (var f in new[] { "config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json" }) Assert.True(File.Exists(Path.Combine(best, f)), f);
        Assert.Equal("niels", (string)JsonNode.Parse(File.ReadAllText(Path.Combine(best, "config.json")))!["model_type"]!);
        var model = HfModelFolder.LoadModel(best, 1, 8);
        Assert.Equal(8192, model.Config.VocabSize);
        var tokenizer = Tokenizer.FromPath(best);
        Assert.Equal("niels", RendererRegistry.RecommendFor(tokenizer));
        var prompt = RendererRegistry.Create("niels", tokenizer).BuildGenerationPrompt([new Message("user", "Hi")]).ToInts();
        Assert.Equal([4, .. tokenizer.Encode("Hi"), 6, 5], prompt); // usr, content, eot, asst (ids of data/tokenizer: niels-gpt's 3..6)

        // A rerun skips both stages and says so.
        messages.Clear();
        var again = await ScratchPipeline.RunAsync(options, progress);
        Assert.Equal(StageOutcome.Skipped, again.Pretrain.Outcome);
        Assert.Equal(StageOutcome.Skipped, again.Sft.Outcome);
        Assert.Equal(r.Sft.FinalValLoss, again.Sft.FinalValLoss);
        Assert.Equal(2, messages.Count(m => m.Contains("already complete", StringComparison.Ordinal)));
    }

    [Fact]
    public void A_time_budget_completes_the_stage_early_and_counts_as_complete()
    {
        var run = TinyModels.TempDir();
        var s = ScratchFixture.Load(run, "pretrain.max_steps=100000", "pretrain.max_minutes=0.02");
        var r = ScratchStage.Run(new StageRequest { Settings = s, Stage = StageKind.Pretrain, Plot = false });
        Assert.Equal(StageOutcome.Completed, r.Outcome);
        Assert.Equal("max_minutes", r.Reason);
        Assert.InRange(r.Steps, 1, 99_999);
        Assert.NotNull(r.FinalValLoss); // the last step is evaluated
        Assert.True(Directory.Exists(r.BestModelPath));
        Assert.Equal(StageOutcome.Skipped, ScratchStage.Run(new StageRequest { Settings = s, Stage = StageKind.Pretrain }).Outcome);
    }

    /// <summary>An IProgress that reports on the calling thread (Progress&lt;T&gt; posts to the thread pool).</summary>
    internal sealed class SyncProgress(Action<ScratchProgress> report) : IProgress<ScratchProgress>
    {
        public void Report(ScratchProgress value) => report(value);
    }
}
