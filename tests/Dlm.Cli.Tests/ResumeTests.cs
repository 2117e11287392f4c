using System.Diagnostics;
using System.Text.Json.Nodes;
using Dlm.TestSupport;
using Dlm.Training.Tests;

namespace Dlm.Cli.Tests;

/// <summary>
/// A run killed with SIGKILL after a checkpoint and resumed ends with the same bytes as a run that
/// was never interrupted (full fine-tuning and LoRA, a tiny model).
/// </summary>
public class ResumeTests
{
    private static string[] Args(string model, string data, string log, int lora, string behavior) =>
    [
        "recipe", "sl-basic", $"model_name={model}", $"log_path={log}", "dataset_builder=FromConversationFileBuilder",
        $"dataset_builder.file_path={data}", "dataset_builder.test_size=10", "dataset_builder.common_config.batch_size=4",
        $"lora_rank={lora}", "learning_rate=5e-3", "eval_every=5", "save_every=3", "num_epochs=2", $"behavior_if_log_dir_exists={behavior}",
    ];

    private static Process Start(string[] args)
    {
        var p = CliRunner.Start(RepoPaths.Root, null, args);
        p.OutputDataReceived += (_, _) => { };
        p.ErrorDataReceived += (_, _) => { };
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        return p;
    }

    private static List<string> Names(string log) =>
        File.Exists(Path.Combine(log, "checkpoints.jsonl"))
            ? File.ReadAllLines(Path.Combine(log, "checkpoints.jsonl")).Where(l => l.EndsWith('}')).Select(l => (string)JsonNode.Parse(l)!["name"]!).ToList()
            : [];

    [Theory]
    [InlineData(0, "model.safetensors")]
    [InlineData(4, "adapter_model.safetensors")]
    public void Kill_9_after_a_checkpoint_then_resume_ends_bit_identical(int lora, string weightsFile)
    {
        var dir = TinyModels.TempDir();
        var model = TinyModels.ModelFolder(Path.Combine(dir, "m"));
        var data = TinyModels.ConversationFile(dir, 70); // 60 train rows / 4 = 15 batches, x2 epochs = 30 steps

        var straight = Path.Combine(dir, "straight");
        var r = CliRunner.Run(Args(model, data, straight, lora, "raise"));
        Assert.True(r.ExitCode == 0, r.Stderr);

        var killed = Path.Combine(dir, "killed");
        using (var p = Start(Args(model, data, killed, lora, "raise")))
        {
            var clock = Stopwatch.StartNew();
            while (Names(killed).Count == 0 && !p.HasExited && clock.Elapsed < TimeSpan.FromMinutes(2)) Thread.Sleep(2);
            p.Kill(); // SIGKILL on Unix: no cleanup runs
            p.WaitForExit();
        }
        var before = Names(killed);
        Assert.NotEmpty(before);
        Assert.DoesNotContain("final", before);

        r = CliRunner.Run(Args(model, data, killed, lora, "resume"));
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains("Resuming from checkpoint", File.ReadAllText(Path.Combine(killed, "logs.log")));
        Assert.Equal(Names(straight), Names(killed).Skip(Names(killed).Count - Names(straight).Count));

        foreach (var file in new[] { Path.Combine("final", "sampler_weights", weightsFile), Path.Combine("final", "state.safetensors") })
            Assert.True(File.ReadAllBytes(Path.Combine(straight, file)).AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(killed, file))), $"{file} differs");
    }
}
