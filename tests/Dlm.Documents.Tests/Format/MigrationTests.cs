using Dlm.Documents.Format;

namespace Dlm.Documents.Tests.Format;

public class MigrationTests
{
    [Fact]
    public void A_migration_exists_for_every_version_below_the_current_one()
    {
        var missing = Enumerable.Range(1, DlmSchema.CurrentVersion - 1).Where(v => !DlmSchema.Migrations.ContainsKey(v)).ToList();
        Assert.Empty(missing);
        Assert.DoesNotContain(DlmSchema.Migrations.Keys, v => v < 1 || v >= DlmSchema.CurrentVersion);
    }

    [Fact]
    public void The_current_version_is_upstreams_15() => Assert.Equal(15, DlmSchema.CurrentVersion);

    [Fact]
    public void Every_supported_version_loads_to_the_same_frontmatter()
    {
        var baseline = Docs.Parse(Docs.Front("training:\n  lora_r: 4\n") + "x\n").Frontmatter;
        foreach (var v in DlmSchema.SupportedVersions)
        {
            var f = Docs.Parse(Docs.Front("training:\n  lora_r: 4\n", v) + "x\n").Frontmatter;
            Assert.Equal(v, f.WrittenVersion);
            Assert.Equal(DlmSchema.CurrentVersion, f.DlmVersion);
            Assert.Equal(baseline.Training with { }, f.Training);
        }
    }

    [Fact]
    public void Only_v1_to_v2_changes_data()
    {
        var text = Docs.Front("training:\n  dpo:\n    beta: 0.2\n", version: 1) + "x\n";
        Assert.Equal(0.2, Docs.Parse(text).Frontmatter.Training.Preference.Hyperparams.Beta);
        // The same block written under a later version is simply unknown: nothing migrates it.
        for (var v = 2; v <= DlmSchema.CurrentVersion; v++)
            Assert.Contains("unknown key 'training.dpo'", Docs.Fails(Docs.Front("training:\n  dpo:\n    beta: 0.2\n", v) + "x\n").Message);
    }

    [Fact]
    public void A_v1_reference_other_than_pre_dpo_adapter_passes_through()
    {
        var f = Docs.Parse(Docs.Front("training:\n  dpo:\n    reference: base\n", version: 1) + "x\n").Frontmatter;
        Assert.Equal("base", f.Training.Preference.Reference);
        Assert.Equal("dpo", f.Training.Preference.Method);
    }

    [Fact]
    public void A_v1_document_with_both_dpo_and_preference_is_refused()
    {
        var e = Docs.Fails(Docs.Front("training:\n  preference:\n    enabled: true\n  dpo:\n    beta: 0.2\n", version: 1) + "x\n");
        Assert.StartsWith("doc.dlm:6:3: training.preference and the v1 key training.dpo are both set", e.Message);
    }
}
