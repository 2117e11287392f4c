using System.Diagnostics;
using System.Text.Json.Nodes;
using Dlm.Core;
using Dlm.Training.Datasets;
using Dlm.Training.Recipes;
using Dlm.Training.Supervised;

namespace Dlm.Training.Tests.Supervised;

public class SupervisedLoopTests
{
    private static SupervisedConfig Config(string dir, string model, string data, int batch = 8, int testSize = 20)
    {
        var builder = new FromConversationFileBuilder { FilePath = data, TestSize = testSize };
        builder.CommonConfig.BatchSize = batch;
        return new SupervisedConfig
        {
            LogPath = Path.Combine(dir, "log"),
            ModelName = model,
            DatasetBuilder = builder,
            LoraRank = 0,
            LearningRate = 3e-3,
            EvalEvery = 4,
            SaveEvery = 5,
            BehaviorIfLogDirExists = LogDirBehavior.Raise,
        };
    }

    [Fact]
    public async Task A_run_writes_the_log_dir_as_upstream_does()
    {
        var dir = TinyModels.TempDir();
        var model = TinyModels.ModelFolder(Path.Combine(dir, "m"));
        var config = Config(dir, model, TinyModels.ConversationFile(dir, 100));
        var view = new StringWriter();
        using var console = new ConsoleTrainingView(view, terminal: false);
        var result = await SupervisedTrainer.RunAsync(config, new SupervisedRunOptions { View = console });
        var log = config.LogPath;
        Assert.Equal(10, result.TotalSteps); // 80 train rows / 8
        Assert.Equal(10, result.StepsRun);

        var rows = File.ReadAllLines(Path.Combine(log, "metrics.jsonl")).Select(l => JsonNode.Parse(l)!.AsObject()).ToList();
        Assert.Equal(10, rows.Count);
        Assert.Equal(["step", "epoch", "progress", "learning_rate", "time/get_batch", "time/evals", "time/step", "num_sequences", "num_tokens",
            "num_loss_tokens", "train_mean_nll", "time/total", "test/nll"], rows[0].Select(kv => kv.Key));
        Assert.Equal(["step", "epoch", "progress", "learning_rate", "time/get_batch", "time/save_checkpoint", "time/step", "num_sequences",
            "num_tokens", "num_loss_tokens", "train_mean_nll", "time/total"], rows[5].Select(kv => kv.Key));
        Assert.Equal(new[] { 0, 4, 8 }, rows.Where(r => r.ContainsKey("test/nll")).Select(r => (int)r["step"]!));
        Assert.Equal(3e-3 * (1 - 9 / 10.0), (double)rows[9]["learning_rate"]!, 1e-15);
        Assert.Equal(0.1, (double)rows[0]["progress"]!, 1e-12);
        Assert.Equal(8, (int)rows[0]["num_sequences"]!);

        var ckpts = File.ReadAllLines(Path.Combine(log, "checkpoints.jsonl")).Select(l => JsonNode.Parse(l)!.AsObject()).ToList();
        Assert.Equal(["000005", "final"], ckpts.Select(c => (string)c["name"]!));
        Assert.Equal(["name", "epoch", "batch", "state_path", "sampler_path"], ckpts[0].Select(kv => kv.Key));
        Assert.Equal(6, (int)ckpts[0]["batch"]!); // the next batch after step 5
        Assert.Equal((1, 10), ((int)ckpts[1]["epoch"]!, (int)ckpts[1]["batch"]!));
        Assert.True(File.Exists((string)ckpts[0]["state_path"]!));
        Assert.True(File.Exists(Path.Combine((string)ckpts[1]["sampler_path"]!, "model.safetensors")));

        var cfg = JsonNode.Parse(File.ReadAllText(Path.Combine(log, "config.json")))!.AsObject();
        Assert.Equal("linear", (string)cfg["lr_schedule"]!);
        Assert.Equal(8, (int)cfg["dataset_builder"]!["common_config"]!["batch_size"]!);
        Assert.Contains("\n  \"log_path\"", File.ReadAllText(Path.Combine(log, "config.json")));

        var logs = File.ReadAllLines(Path.Combine(log, "logs.log"));
        Assert.Matches(@"^SupervisedTrainer:\d+ \[INFO\] Training ", logs[0]);
        Assert.Contains(logs, l => l.Contains("[INFO] Training completed"));

        var png = File.ReadAllBytes(Path.Combine(log, "loss.png"));
        Assert.Equal(new byte[] { 0x89, 0x50, 0x4E, 0x47 }, png[..4]);
        Assert.True(png.Length > 5000);

        // Piped output: plain lines, the first datum with [[trained]] runs, one line per step.
        var text = view.ToString();
        Assert.Contains("[[", text);
        Assert.Contains("step 10/10  loss ", text);
        Assert.DoesNotContain("\u001b[", text);

        // raise refuses an existing dir.
        var e = await Assert.ThrowsAsync<DlmException>(() => SupervisedTrainer.RunAsync(config, new SupervisedRunOptions()));
        Assert.Equal($"Log directory {log} already exists. Will not delete it.", e.Message);
    }

    [Fact]
    public async Task On_a_terminal_each_step_gets_a_table_and_a_live_line()
    {
        var dir = TinyModels.TempDir();
        var config = Config(dir, TinyModels.ModelFolder(Path.Combine(dir, "m")), TinyModels.ConversationFile(dir, 40));
        config.SaveEvery = 0;
        var view = new StringWriter();
        using (var console = new ConsoleTrainingView(view, terminal: true))
            await SupervisedTrainer.RunAsync(config, new SupervisedRunOptions { View = console, Plot = false });
        var text = view.ToString();
        Assert.Contains("Step 0", text);
        Assert.Contains("Metric", text);
        Assert.Contains("train_mean_nll", text);
        Assert.Contains("\u001b[32m", text); // trained tokens green
        Assert.Contains("\r\u001b[2K", text); // the live line is cleared before the next output
        Assert.Contains("tokens/s  ETA ", text);
    }

    [Fact]
    public void Ask_without_a_terminal_refuses_naming_the_choices_and_asks_on_one()
    {
        var dir = TinyModels.TempDir();
        var e = Assert.Throws<UsageException>(() => LogDirectory.Check(dir, LogDirBehavior.Ask, false, TextReader.Null, TextWriter.Null));
        Assert.Equal($"Log directory {dir} already exists and there is no terminal to ask what to do: pass behavior_if_log_dir_exists=delete, resume or raise", e.Message);
        var prompt = new StringWriter();
        Assert.Equal(LogDirDecision.Resume, LogDirectory.Check(dir, LogDirBehavior.Ask, true, new StringReader("what\nresume\n"), prompt));
        Assert.Equal(2, prompt.ToString().Split($"Log directory {dir} already exists. What do you want to do? [delete, resume, exit]: ").Length - 1);
        Assert.Equal(LogDirDecision.Exit, LogDirectory.Check(dir, LogDirBehavior.Ask, true, new StringReader("exit\n"), prompt));
        Assert.Equal(LogDirDecision.Fresh, LogDirectory.Check(dir, LogDirBehavior.Ask, true, new StringReader("delete\n"), prompt));
        Assert.False(Directory.Exists(dir));
    }

    [Fact]
    public void Learning_rate_multipliers_follow_upstream()
    {
        Assert.Equal(1.0, LearningRateSchedule.Multiplier(LrSchedule.Linear, 0, 74));
        Assert.Equal(1 / 74.0, LearningRateSchedule.Multiplier(LrSchedule.Linear, 73, 74), 1e-15);
        Assert.Equal(0.5, LearningRateSchedule.Multiplier(LrSchedule.Cosine, 37, 74), 1e-15);
        Assert.Equal(1.0, LearningRateSchedule.Multiplier(LrSchedule.Constant, 50, 74));
    }

    [Fact]
    public void Sl_basic_has_the_upstream_defaults()
    {
        var c = SlBasic.Defaults();
        Assert.Equal(2e-4, c.LearningRate);
        Assert.Equal(LrSchedule.Linear, c.LrSchedule);
        Assert.Equal((1, 8, 20, 32), (c.NumEpochs, c.EvalEvery, c.SaveEvery, c.LoraRank));
        Assert.IsType<NoRobotsBuilder>(c.DatasetBuilder);
        Assert.Equal((128, 32768), (c.DatasetBuilder.CommonConfig.BatchSize, c.DatasetBuilder.CommonConfig.MaxLength));
        Assert.Equal(Dlm.Chat.TrainOnWhat.AllAssistantMessages, c.DatasetBuilder.CommonConfig.TrainOnWhat);
        Assert.Equal(Path.Combine(Path.GetTempPath(), "tinker-examples", "sl_basic"), c.LogPath);
        Assert.Equal(LogDirBehavior.Ask, c.BehaviorIfLogDirExists);
        Assert.Equal("role_colon", Dlm.Chat.RendererRegistry.RecommendFor(c.ModelName));
        // no_robots' 9,500 rows in batches of 128: 74 steps, evals at 0, 8, ..., 72, checkpoints 20, 40, 60.
        int steps = 9500 / 128;
        Assert.Equal(74, steps);
        Assert.Equal(10, Enumerable.Range(0, steps).Count(s => s % c.EvalEvery == 0));
        Assert.Equal([20, 40, 60], Enumerable.Range(0, steps).Where(s => s % c.SaveEvery == 0 && s > 0));
    }

    [Fact]
    public async Task Learning_is_real_test_nll_falls_by_more_than_half_in_under_a_minute()
    {
        var dir = TinyModels.TempDir();
        var config = Config(dir, TinyModels.ModelFolder(Path.Combine(dir, "m")), TinyModels.ConversationFile(dir, 120), batch: 10);
        config.NumEpochs = 4;
        config.LearningRate = 1e-2;
        config.EvalEvery = 10;
        config.SaveEvery = 0;
        var clock = Stopwatch.StartNew();
        await SupervisedTrainer.RunAsync(config, new SupervisedRunOptions { Plot = false });
        Assert.True(clock.Elapsed < TimeSpan.FromMinutes(1), $"took {clock.Elapsed}");
        var nll = MetricsLog.Read(config.LogPath).Where(r => r.ContainsKey("test/nll")).Select(r => r["test/nll"]).ToList();
        Assert.True(nll.Count >= 4);
        Assert.True(nll[^1] < 0.5 * nll[0], $"test/nll went {string.Join(" -> ", nll)}");
    }
}
