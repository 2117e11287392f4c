using System.Text.Json.Nodes;
using Dlm.Training.Tests;

namespace Dlm.Cli.Tests;

/// <summary>`dlm recipe` end to end through the real program.</summary>
public class RecipeTests
{
    private static readonly Dictionary<string, string> EmptyHub = new() { ["HF_HUB_CACHE"] = Path.Combine(Path.GetTempPath(), "dlm-empty-hub") };

    [Fact]
    public void Recipe_help_lists_the_recipes()
    {
        var r = CliRunner.Run("recipe", "--help");
        Assert.Equal(0, r.ExitCode);
        Assert.Contains("sl-basic", r.Stdout);
    }

    [Fact]
    public void Recipe_name_help_lists_every_field_with_its_origin()
    {
        var r = CliRunner.Run("recipe", "sl-basic", "learning_rate=3e-4", "--help");
        Assert.Equal(0, r.ExitCode);
        var lines = r.Stdout.Split('\n');
        Assert.Contains("Arguments:", lines);
        Assert.Matches(@"^  learning_rate +float +0\.0003 \(from command line\) +Peak learning rate$", lines.Single(l => l.StartsWith("  learning_rate ")));
        Assert.Matches(@"^  eval_every +int +8 \(default\)", lines.Single(l => l.StartsWith("  eval_every ")));
        Assert.Matches(@"dataset_builder +ChatDatasetBuilder +NoRobotsBuilder \(default\)", r.Stdout);
        Assert.Contains("dataset_builder.common_config.batch_size", r.Stdout);
    }

    [Fact]
    public void An_unknown_key_is_one_line_with_a_suggestion_and_exit_2()
    {
        var r = CliRunner.Run("recipe", "sl-basic", "learnin_rate=1");
        Assert.Equal(2, r.ExitCode);
        Assert.Equal("dlm: Unknown argument 'learnin_rate'. Did you mean 'learning_rate'? Append --help to see every argument.", Assert.Single(r.StderrLines));
    }

    [Fact]
    public void A_bad_value_names_the_parameter_and_exits_1()
    {
        var r = CliRunner.Run("recipe", "sl-basic", "lr_schedule=fast");
        Assert.Equal(1, r.ExitCode);
        Assert.Equal("dlm: lr_schedule: cannot use 'fast' here; expected one of linear, cosine, constant", Assert.Single(r.StderrLines));
    }

    [Fact]
    public void The_default_model_when_absent_says_what_to_pass()
    {
        var r = CliRunner.Run(EmptyHub, null, "recipe", "sl-basic", $"log_path={Path.Combine(TinyModels.TempDir(), "log")}");
        Assert.Equal(1, r.ExitCode);
        var line = Assert.Single(r.StderrLines);
        Assert.Contains("meta-llama/Llama-3.2-1B is not a folder and not in the local Hugging Face cache", line);
        Assert.Contains("model_name=DIR", line);
    }

    [Fact]
    public void Ask_without_a_terminal_refuses_with_one_line()
    {
        var dir = TinyModels.TempDir();
        var model = TinyModels.ModelFolder(Path.Combine(dir, "m"));
        Directory.CreateDirectory(Path.Combine(dir, "log"));
        var r = CliRunner.Run("recipe", "sl-basic", $"model_name={model}", $"log_path={Path.Combine(dir, "log")}");
        Assert.Equal(2, r.ExitCode);
        Assert.Equal($"dlm: Log directory {Path.Combine(dir, "log")} already exists and there is no terminal to ask what to do: pass behavior_if_log_dir_exists=delete, resume or raise",
            Assert.Single(r.StderrLines));
    }

    [Fact]
    public void Sl_basic_trains_a_tiny_model_on_a_conversation_file()
    {
        var dir = TinyModels.TempDir();
        var model = TinyModels.ModelFolder(Path.Combine(dir, "m"));
        var data = TinyModels.ConversationFile(dir, 40);
        var log = Path.Combine(dir, "log");
        var r = CliRunner.Run("recipe", "sl-basic", $"model_name={model}", $"log_path={log}", "dataset_builder=FromConversationFileBuilder",
            $"dataset_builder.file_path={data}", "dataset_builder.test_size=8", "dataset_builder.common_config.batch_size=8", "lora_rank=4",
            "learning_rate=1e-2", "eval_every=2", "save_every=2");
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains("step 4/4  loss ", r.Stdout);
        foreach (var f in new[] { "config.json", "metrics.jsonl", "checkpoints.jsonl", "logs.log", "loss.png" })
            Assert.True(File.Exists(Path.Combine(log, f)), f);
        var rows = File.ReadAllLines(Path.Combine(log, "checkpoints.jsonl")).Select(l => (string)JsonNode.Parse(l)!["name"]!).ToList();
        Assert.Equal(["000002", "final"], rows);
        Assert.True(File.Exists(Path.Combine(log, "final", "sampler_weights", "adapter_model.safetensors")));
        // The renderer followed the model: a base model (no chat template) gets role_colon.
        Assert.Contains("User:", r.Stdout);
    }
}

/// <summary>The recipe help hook leaves every other command's --help as it was.</summary>
public class HelpHookTests
{
    [Fact]
    public void Help_of_a_command_with_required_options_still_works()
    {
        var r = CliRunner.Run("tokenizer", "train", "--help");
        Assert.Equal(0, r.ExitCode);
        Assert.Contains("--vocab-size", r.Stdout);
        Assert.Empty(r.Stderr);
    }
}
