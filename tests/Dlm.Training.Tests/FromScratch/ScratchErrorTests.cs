using Dlm.Core;
using Dlm.Core.Config;
using Dlm.Training.FromScratch;

namespace Dlm.Training.Tests.FromScratch;

/// <summary>Bad input fails in one clear line before any training starts.</summary>
public class ScratchErrorTests
{
    private static DlmException Fails(ScratchSettings s, StageKind kind = StageKind.Pretrain, string? init = null) =>
        Assert.ThrowsAny<DlmException>(() => ScratchStage.Run(new StageRequest { Settings = s, Stage = kind, Init = init }));

    [Fact]
    public void Missing_caches_name_the_build_all_command()
    {
        var dir = TinyModels.TempDir();
        var settings = Path.Combine(dir, "settings.yaml");
        File.WriteAllText(settings, ScratchFixture.Yaml(Path.Combine(dir, "no-cache")));
        var s = ScratchSettingsLoader.Load(settings, KeyValueArgs.Parse([$"run.dir={dir}/run"]));
        var e = Fails(s);
        Assert.DoesNotContain('\n', e.Message);
        Assert.Contains($"dlm cache build-all --settings {settings}", e.Message, StringComparison.Ordinal);
        Assert.Contains(Path.Combine(dir, "no-cache", "pretrain", "brown"), e.Message, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(dir, "run")));

        // The pipeline checks the SFT caches before pretraining.
        Directory.CreateDirectory(Path.Combine(dir, "no-cache"));
        CopyDir(Path.Combine(ScratchFixture.Dir, "cache", "pretrain"), Path.Combine(dir, "no-cache", "pretrain"));
        e = Assert.ThrowsAny<DlmException>(() => ScratchPipeline.Run(s));
        Assert.Contains("missing sft caches", e.Message, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(dir, "run")));
    }

    private static void CopyDir(string from, string to)
    {
        foreach (var d in Directory.GetDirectories(from, "*", SearchOption.AllDirectories)) Directory.CreateDirectory(d.Replace(from, to, StringComparison.Ordinal));
        Directory.CreateDirectory(to);
        foreach (var f in Directory.GetFiles(from, "*", SearchOption.AllDirectories)) File.Copy(f, f.Replace(from, to, StringComparison.Ordinal));
    }

    [Fact]
    public void A_context_longer_than_the_model_is_refused()
    {
        var run = TinyModels.TempDir();
        var e = Fails(ScratchFixture.Load(run, "pretrain.context_length=128"));
        Assert.Equal("pretrain.context_length 128 exceeds the model's context length 64 (preset:niels-tiny)", e.Message);
        Assert.False(Directory.Exists(Path.Combine(run, "pretrain")));
    }

    [Fact]
    public void A_model_vocabulary_smaller_than_the_tokenizer_is_refused()
    {
        var dir = TinyModels.TempDir();
        var folder = TinyModels.ModelFolder(Path.Combine(dir, "small-vocab")); // a llama model of about 300 ids
        var e = Fails(ScratchFixture.Load(Path.Combine(dir, "run"), "model.context_length=None"), StageKind.Sft, folder);
        Assert.StartsWith("vocabulary mismatch: the tokenizer ", e.Message, StringComparison.Ordinal);
        Assert.Contains("has 8192 ids but the model", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Unknown_keys_and_bad_values_name_their_place()
    {
        var dir = TinyModels.TempDir();
        var settings = Path.Combine(dir, "settings.yaml");
        File.WriteAllText(settings, ScratchFixture.Yaml(dir) + "\n  max_stepz: 3\n");
        var e = Assert.ThrowsAny<DlmException>(() => ScratchSettingsLoader.Load(settings));
        Assert.StartsWith($"{settings}:", e.Message, StringComparison.Ordinal);
        Assert.Contains("unknown key sft.max_stepz", e.Message, StringComparison.Ordinal);

        e = Assert.ThrowsAny<DlmException>(() => ScratchFixture.Load(dir, "pretrain.lr=fast"));
        Assert.StartsWith("pretrain.lr=fast (command line):", e.Message, StringComparison.Ordinal);
        e = Assert.ThrowsAny<DlmException>(() => ScratchFixture.Load(dir, "pretrain.batch_size=0"));
        Assert.Contains("pretrain.batch_size must be at least 1", e.Message, StringComparison.Ordinal);
        Assert.ThrowsAny<UsageException>(() => ScratchFixture.Load(dir, "train.max_steps=3"));
    }

    [Fact]
    public void Defaults_are_niels_gpt_s()
    {
        var p = StageSettings.PretrainDefaults;
        Assert.Equal((3e-4f, 3e-5f, 0.9f, 0.95f, 0.1f, 1f), (p.LearningRate, p.MinLearningRate, p.Beta1, p.Beta2, p.WeightDecay, p.GradClip));
        var s = StageSettings.SftDefaults;
        Assert.Equal((1e-4f, 1e-5f, 0.9f, 0.95f, 0.05f, 1f), (s.LearningRate, s.MinLearningRate, s.Beta1, s.Beta2, s.WeightDecay, s.GradClip));
    }

    [Fact]
    public void Resuming_with_other_settings_is_refused()
    {
        var run = TinyModels.TempDir();
        using var cts = new CancellationTokenSource();
        var progress = new ScratchPipelineTests.SyncProgress(p => { if (p.Step == 3) cts.Cancel(); });
        var r = ScratchStage.Run(new StageRequest { Settings = ScratchFixture.Load(run), Stage = StageKind.Pretrain }, progress, cts.Token);
        Assert.Equal(StageOutcome.Stopped, r.Outcome);
        var e = Fails(ScratchFixture.Load(run, "pretrain.lr=1e-3"));
        Assert.Contains("was written with other pretrain settings", e.Message, StringComparison.Ordinal);
    }
}
