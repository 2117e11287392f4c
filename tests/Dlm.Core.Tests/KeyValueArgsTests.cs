using Dlm.Core;
using Dlm.Core.Config;

namespace Dlm.Core.Tests;

public class KeyValueArgsTests
{
    [Fact]
    public void Last_occurrence_wins_and_first_order_is_kept()
    {
        var got = KeyValueArgs.Parse(["a.b=1", "c=x=y", "a.b=2"]);
        Assert.Equal([new KeyValueArg("a.b", "2"), new KeyValueArg("c", "x=y")], got);
    }

    [Theory]
    [InlineData("bare")]
    [InlineData("--flag=1")]
    [InlineData("=1")]
    [InlineData("a..b=1")]
    public void Malformed_arguments_are_usage_errors(string arg)
    {
        var e = Assert.Throws<UsageException>(() => KeyValueArgs.Parse([arg]));
        Assert.StartsWith("Specify arguments in the form key=value", e.Message);
    }

    [Theory]
    [InlineData("t", true)] [InlineData("True", true)] [InlineData("1", true)]
    [InlineData("f", false)] [InlineData("false", false)] [InlineData("0", false)]
    public void Booleans_take_only_chz_spellings(string text, bool want) =>
        Assert.Equal(want, ValueCast.ToBool("k", text));

    [Theory]
    [InlineData("yes")] [InlineData("TRUE")] [InlineData("2")]
    public void Other_boolean_spellings_are_refused(string text) =>
        Assert.Contains("expected a boolean", Assert.Throws<DlmException>(() => ValueCast.ToBool("k", text)).Message);

    [Fact]
    public void Ints_refuse_fractions_and_floats_take_exponents()
    {
        Assert.Equal(-3, ValueCast.ToInt("k", "-3"));
        Assert.Throws<DlmException>(() => ValueCast.ToInt("k", "1.5"));
        Assert.Equal(1e-3, ValueCast.ToFloat("k", "1e-3"));
        Assert.Throws<DlmException>(() => ValueCast.ToFloat("k", "fast"));
    }

    private enum Mode { FirstMode, SecondMode }

    [Fact]
    public void Enums_cast_by_name_then_by_value()
    {
        static string Wire(Mode m) => m == Mode.FirstMode ? "first" : "second";
        Assert.Equal(Mode.SecondMode, ValueCast.ToEnum<Mode>("k", "SecondMode", Wire));
        Assert.Equal(Mode.FirstMode, ValueCast.ToEnum<Mode>("k", "first", Wire));
        var e = Assert.Throws<DlmException>(() => ValueCast.ToEnum<Mode>("mode", "third", Wire));
        Assert.Equal("mode: cannot use 'third' here; expected one of first, second", e.Message);
    }

    [Fact]
    public void Lists_split_at_commas_and_none_is_exact()
    {
        Assert.Equal(["a", "b", "c"], ValueCast.ToList("a,b, c"));
        Assert.Empty(ValueCast.ToList(""));
        Assert.True(ValueCast.IsNone("None"));
        Assert.False(ValueCast.IsNone("none"));
    }
}
