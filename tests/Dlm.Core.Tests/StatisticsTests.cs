namespace Dlm.Core.Tests;

public class StatisticsTests
{
    [Theory]
    [InlineData(new[] { 3.0 }, 3.0)]
    [InlineData(new[] { 5.0, 1.0, 4.0 }, 4.0)]
    [InlineData(new[] { 4.0, 1.0, 3.0, 10.0 }, 3.5)]
    public void The_median_is_the_middle_value_or_the_mean_of_the_middle_two(double[] values, double median) =>
        Assert.Equal(median, Statistics.Median(values));

    [Fact]
    public void The_median_of_nothing_is_NaN_and_the_input_is_left_in_its_order()
    {
        Assert.True(double.IsNaN(Statistics.Median([])));
        double[] values = [3, 1, 2];
        Statistics.Median(values);
        Assert.Equal([3.0, 1.0, 2.0], values);
    }
}
