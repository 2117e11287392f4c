using System.Text.Json;
using Dlm.Core;
using Dlm.Models.Optim;
using Dlm.TestSupport;

namespace Dlm.Models.Tests.Optim;

public class ScheduleTests
{
    public static TheoryData<string> FixtureLabels()
    {
        var data = new TheoryData<string>();
        using var doc = JsonDocument.Parse(File.ReadAllText(RepoPaths.Fixture("optim", "schedules.json")));
        foreach (var s in doc.RootElement.GetProperty("schedules").EnumerateArray())
            data.Add(s.GetProperty("label").GetString()!);
        return data;
    }

    [Theory]
    [MemberData(nameof(FixtureLabels))]
    public void Matches_the_reference_formulas(string label)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(RepoPaths.Fixture("optim", "schedules.json")));
        var s = doc.RootElement.GetProperty("schedules").EnumerateArray()
            .Single(e => e.GetProperty("label").GetString() == label);
        var schedule = LearningRateSchedules.Create(s.GetProperty("shape").GetString()!,
            s.GetProperty("lr").GetSingle(), s.GetProperty("total_steps").GetInt32(),
            s.GetProperty("warmup_steps").GetInt32(), s.GetProperty("min_lr").GetSingle(),
            s.GetProperty("warmup_start_factor").GetSingle());
        var expected = s.GetProperty("values").EnumerateArray().Select(e => e.GetDouble()).ToArray();
        Assert.Equal(schedule.TotalSteps, expected.Length);
        for (var step = 0; step < expected.Length; step++)
        {
            // Double path: equal to the Python doubles up to a few ulps (cos and division order).
            Assert.True(Math.Abs(schedule.AtDouble(step) - expected[step]) <= 1e-12 * s.GetProperty("lr").GetDouble(),
                $"{label} step {step}: {schedule.AtDouble(step)} vs {expected[step]}");
            Assert.Equal((float)expected[step], schedule.At(step));
        }
    }

    [Fact]
    public void Niels_gpt_pretrain_shape()
    {
        var s = LearningRateSchedules.NielsGpt(totalSteps: 1000, warmupSteps: 100);
        Assert.Equal(0f, s.At(0));
        Assert.Equal(1.5e-4, s.AtDouble(50), 1e-15);
        Assert.Equal(3e-4, s.AtDouble(100), 1e-15);
        Assert.Equal(3e-5, s.AtDouble(999), 1e-7);
        Assert.Equal(3e-5, s.AtDouble(1000), 1e-15); // past the end: holds at the floor
        Assert.Equal(3e-5, s.AtDouble(5000), 1e-15);
    }

    [Fact]
    public void Tinker_formulas()
    {
        const int total = 10;
        var linear = LearningRateSchedules.Tinker("linear", 2e-4f, total);
        var cosine = LearningRateSchedules.Tinker("cosine", 2e-4f, total);
        var constant = LearningRateSchedules.Tinker("constant", 2e-4f, total);
        for (var s = 0; s < total; s++)
        {
            Assert.Equal(2e-4 * (1 - (double)s / total), linear.AtDouble(s), 1e-18);
            Assert.Equal(2e-4 * 0.5 * (1 + Math.Cos(Math.PI * s / total)), cosine.AtDouble(s), 1e-18);
            Assert.Equal(2e-4f, constant.At(s));
        }
    }

    [Fact]
    public void Warmup_from_a_start_factor_then_linear_decay_to_a_floor()
    {
        var s = new WarmupDecaySchedule(DecayShape.Linear, 1f, totalSteps: 14, warmupSteps: 4,
            minLearningRate: 0.5f, warmupStartFactor: 0.2f);
        Assert.Equal([0.2f, 0.4f, 0.6f, 0.8f, 1f], Enumerable.Range(0, 5).Select(s.At).ToArray());
        Assert.Equal(0.75f, s.At(9));
        Assert.Equal(0.55f, s.At(13), 1e-6f);
        Assert.Equal(0.5f, s.At(14));
    }

    [Theory]
    [InlineData("cosine", DecayShape.Cosine)]
    [InlineData("Linear", DecayShape.Linear)]
    [InlineData(" constant ", DecayShape.Constant)]
    public void Parses_names(string name, DecayShape shape) => Assert.Equal(shape, LearningRateSchedules.ParseShape(name));

    [Fact]
    public void Unknown_name_is_a_user_error_listing_valid_names()
    {
        var ex = Assert.Throws<DlmException>(() => LearningRateSchedules.Create("cosin", 1e-3f, 10));
        Assert.Equal("unknown learning-rate schedule 'cosin' (valid: constant, linear, cosine)", ex.Message);
    }

    [Fact]
    public void Rejects_inconsistent_settings()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new WarmupDecaySchedule(DecayShape.Cosine, 1e-3f, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new WarmupDecaySchedule(DecayShape.Cosine, 1e-3f, 10, warmupSteps: 11));
        Assert.Throws<ArgumentOutOfRangeException>(() => new WarmupDecaySchedule(DecayShape.Cosine, 1e-3f, 10, minLearningRate: 1e-2f));
        Assert.Throws<ArgumentOutOfRangeException>(() => new WarmupDecaySchedule(DecayShape.Cosine, 1e-3f, 10, warmupStartFactor: 2f));
        Assert.Throws<ArgumentOutOfRangeException>(() => LearningRateSchedules.NielsGpt(10, 2).At(-1));
    }

    [Fact]
    public void Warmup_steps_from_ratio_round_up_like_hugging_face()
    {
        Assert.Equal(10, LearningRateSchedules.WarmupStepsFromRatio(0.1, 100));
        Assert.Equal(11, LearningRateSchedules.WarmupStepsFromRatio(0.1, 101));
        Assert.Equal(0, LearningRateSchedules.WarmupStepsFromRatio(0, 101));
    }

    [Fact]
    public void Warmup_covering_the_whole_run_never_divides_by_zero()
    {
        var s = new WarmupDecaySchedule(DecayShape.Cosine, 1f, totalSteps: 4, warmupSteps: 4, minLearningRate: 0.1f);
        Assert.Equal(0.75f, s.At(3));
        Assert.Equal(0.1f, s.At(4));
    }
}
