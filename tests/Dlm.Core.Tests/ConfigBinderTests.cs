using Dlm.Core;
using Dlm.Core.Config;

namespace Dlm.Core.Tests;

public class ConfigBinderTests
{
    public enum Schedule { Linear, Cosine, Constant }

    public enum Mode { LastAssistantMessage, AllAssistantMessages }

    public sealed class Common
    {
        [ConfigDoc("Examples per batch")]
        public int BatchSize { get; set; } = 128;

        public int? MaxLength { get; set; } = 32768;

        public Mode? TrainOnWhat { get; set; }
    }

    [ConfigVariants(typeof(FileBuilder), typeof(HubBuilder))]
    public abstract class Builder
    {
        public Common CommonConfig { get; set; } = new();
    }

    public sealed class FileBuilder : Builder
    {
        public required string FilePath { get; set; }

        public int TestSize { get; set; }
    }

    public sealed class HubBuilder : Builder
    {
        public string? Folder { get; set; }
    }

    public sealed class Root
    {
        [ConfigDoc("Where logs go")]
        public string LogPath { get; set; } = "/tmp/x";

        public double LearningRate { get; set; } = 1e-4;

        public Schedule LrSchedule { get; set; } = Schedule.Linear;

        public bool Flag { get; set; }

        public IReadOnlyList<string> Targets { get; set; } = ["q_proj", "v_proj"];

        public Builder DatasetBuilder { get; set; } = new HubBuilder();
    }

    private static Root Bind(params string[] args) => (Root)ConfigBinder.Bind(new Root(), args).Root;

    [Fact]
    public void Overrides_cast_to_the_field_types()
    {
        var r = Bind("learning_rate=1e-3", "lr_schedule=cosine", "flag=t", "targets=a,b,c", "log_path=/x/y");
        Assert.Equal(1e-3, r.LearningRate);
        Assert.Equal(Schedule.Cosine, r.LrSchedule);
        Assert.True(r.Flag);
        Assert.Equal(["a", "b", "c"], r.Targets);
        Assert.Equal("/x/y", r.LogPath);
        Assert.Equal(Schedule.Constant, Bind("lr_schedule=Constant").LrSchedule);
        Assert.Equal(Schedule.Constant, Bind("lr_schedule=CONSTANT").LrSchedule);
    }

    [Fact]
    public void Dotted_paths_reach_nested_fields_and_the_last_occurrence_wins()
    {
        var r = Bind("dataset_builder.common_config.batch_size=64", "dataset_builder.common_config.batch_size=32",
            "dataset_builder.common_config.max_length=None", "dataset_builder.common_config.train_on_what=all_assistant_messages");
        Assert.Equal(32, r.DatasetBuilder.CommonConfig.BatchSize);
        Assert.Null(r.DatasetBuilder.CommonConfig.MaxLength);
        Assert.Equal(Mode.AllAssistantMessages, r.DatasetBuilder.CommonConfig.TrainOnWhat);
    }

    [Fact]
    public void A_polymorphic_field_takes_a_type_name_then_its_subfields_in_any_order()
    {
        var r = Bind("dataset_builder.file_path=a.jsonl", "dataset_builder.common_config.batch_size=8", "dataset_builder=FileBuilder");
        var fb = Assert.IsType<FileBuilder>(r.DatasetBuilder);
        Assert.Equal("a.jsonl", fb.FilePath);
        Assert.Equal(8, fb.CommonConfig.BatchSize);
        var e = Assert.Throws<DlmException>(() => Bind("dataset_builder=Nope"));
        Assert.Contains("FileBuilder, HubBuilder", e.Message);
    }

    [Fact]
    public void A_required_field_left_unset_is_listed()
    {
        var e = Assert.Throws<UsageException>(() => Bind("dataset_builder=FileBuilder"));
        Assert.Equal("Missing required arguments: dataset_builder.file_path (str). Append --help to see every argument.", e.Message);
    }

    [Fact]
    public void An_unknown_key_suggests_the_nearest_and_hints_at_help()
    {
        var e = Assert.Throws<UsageException>(() => Bind("learnin_rate=1"));
        Assert.Equal("Unknown argument 'learnin_rate'. Did you mean 'learning_rate'? Append --help to see every argument.", e.Message);
        e = Assert.Throws<UsageException>(() => Bind("dataset_builder.common_config.batch_sise=1"));
        Assert.Contains("Did you mean 'dataset_builder.common_config.batch_size'?", e.Message);
        e = Assert.Throws<UsageException>(() => Bind("zzzzzzzzzzzz=1"));
        Assert.Equal("Unknown argument 'zzzzzzzzzzzz'. Append --help to see every argument.", e.Message);
        Assert.Throws<UsageException>(() => Bind("bare"));
    }

    [Theory]
    [InlineData("flag=yes", "flag: cannot use 'yes' here; expected a boolean")]
    [InlineData("dataset_builder.common_config.batch_size=1.5", "dataset_builder.common_config.batch_size: cannot use '1.5' here; expected an integer")]
    [InlineData("lr_schedule=fast", "lr_schedule: cannot use 'fast' here; expected one of linear, cosine, constant")]
    [InlineData("learning_rate=abc", "learning_rate: cannot use 'abc' here; expected a number")]
    [InlineData("learning_rate=None", "learning_rate: cannot use 'None' here; expected a number")]
    public void A_value_that_does_not_cast_names_the_parameter_and_what_it_accepts(string arg, string message)
    {
        var e = Assert.Throws<DlmException>(() => Bind(arg));
        Assert.StartsWith(message, e.Message);
    }

    [Fact]
    public void Help_lists_every_field_with_type_value_origin_and_doc()
    {
        var b = ConfigBinder.Bind(new Root(), ["learning_rate=0.001", "--help", "dataset_builder=FileBuilder"]);
        Assert.True(b.HelpRequested);
        var lines = b.HelpText().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("Arguments:", lines[0]);
        string Row(string path) => lines.Single(l => l.TrimStart().StartsWith(path + " ", StringComparison.Ordinal));
        Assert.Matches(@"^  log_path +str +/tmp/x \(default\) +Where logs go$", Row("log_path"));
        Assert.Matches(@"^  learning_rate +float +0\.001 \(from command line\)$", Row("learning_rate"));
        Assert.Matches(@"lr_schedule +Schedule +linear \(default\)", Row("lr_schedule"));
        Assert.Matches(@"targets +list\[str\] +q_proj,v_proj \(default\)", Row("targets"));
        Assert.Matches(@"dataset_builder +Builder +FileBuilder \(from command line\)", Row("dataset_builder"));
        Assert.Matches(@"dataset_builder\.common_config\.batch_size +int +128 \(default\) +Examples per batch", Row("dataset_builder.common_config.batch_size"));
        Assert.Matches(@"dataset_builder\.common_config\.max_length +int \| None +32768 \(default\)", Row("dataset_builder.common_config.max_length"));
        Assert.Matches(@"dataset_builder\.file_path +str +None \(required\)", Row("dataset_builder.file_path"));
    }

    [Fact]
    public void The_tree_serialises_with_enums_as_values()
    {
        var json = ConfigBinder.ToJson(Bind("dataset_builder.common_config.train_on_what=AllAssistantMessages")).ToJsonString();
        Assert.Contains("\"lr_schedule\":\"linear\"", json);
        Assert.Contains("\"train_on_what\":\"all_assistant_messages\"", json);
        Assert.Contains("\"learning_rate\":0.0001", json);
    }
}
