using Dlm.Data.Build;
using Dlm.Data.Caches;
using Dlm.Data.Settings;
using Dlm.TestSupport;

namespace Dlm.Data.Tests;

/// <summary>A profiled build (<c>bench cache --profile</c>) writes the same cache and charges every stage it passes through.</summary>
public class BuildProfileTests
{
    [Fact]
    public void A_profiled_brown_build_is_byte_identical_and_charges_each_stage()
    {
        using var a = new TestData();
        using var b = new TestData();
        var brown = new SourceSettings("brown", SourceKind.Brown, ReferenceData.BrownCorpus, new SourceOptions { ValTokens = 100_000 }, new Dlm.Core.SourceLocation("test"));
        var settings = a.Settings();
        var tok = CacheTokenizer.Load(settings.Tokenizer);
        var plain = Path.Combine(a.Dir, "plain");
        var profiled = Path.Combine(b.Dir, "profiled");
        new PretrainCacheBuilder().Build(new SourceBuildRequest(brown, settings, tok, plain, 2, SilentProgress.Instance, default));
        var profile = new BuildProfile();
        var result = new PretrainCacheBuilder().Build(new SourceBuildRequest(brown, settings, tok, profiled, 2, SilentProgress.Instance, default) { Profile = profile });

        var x = TestData.Snapshot(plain);
        var y = TestData.Snapshot(profiled);
        Assert.Equal(x.Keys, y.Keys);
        foreach (var k in x.Keys) Assert.True(x[k].AsSpan().SequenceEqual(y[k]), $"{k} differs");
        Assert.Equal(500, result.Records);

        Assert.True(Dlm.Core.CpuClock.IsAvailable);
        foreach (var phase in Enum.GetValues<BuildPhase>()) Assert.True(profile.Seconds(phase) >= 0, $"{phase} is negative");
        // Reading 500 files and tokenizing 6 MB of text take CPU; the tokenizer far more than the rest.
        Assert.True(profile.Seconds(BuildPhase.Read) > 0);
        Assert.True(profile.Seconds(BuildPhase.Tokenize) > profile.Seconds(BuildPhase.Read));
        Assert.True(profile.Seconds(BuildPhase.Write) > 0);
        Assert.True(profile.Seconds(BuildPhase.Finish) > 0);
        Assert.Equal(Enum.GetValues<BuildPhase>().Sum(profile.Seconds), profile.Total, 9);
    }

    [Fact]
    public void The_thread_clock_counts_only_the_calling_threads_work()
    {
        double t0 = Dlm.Core.CpuClock.ThreadSeconds(), p0 = Dlm.Core.CpuClock.ProcessSeconds();
        var other = new Thread(() => { var end = DateTime.UtcNow.AddMilliseconds(200); while (DateTime.UtcNow < end) { } });
        other.Start();
        other.Join();
        double t1 = Dlm.Core.CpuClock.ThreadSeconds(), p1 = Dlm.Core.CpuClock.ProcessSeconds();
        Assert.True(p1 - p0 > 0.1, $"process clock moved {p1 - p0} s");
        Assert.True(t1 - t0 < 0.05, $"this thread's clock moved {t1 - t0} s while it waited");
    }
}
