using Dlm.Models.Layers;

namespace Dlm.Models.Tests.Layers;

public class SplitMix64SkipTests
{
    [Fact]
    public void Skip_lands_where_sequential_draws_would()
    {
        var sequential = new SplitMix64(0xDEADBEEFUL);
        var values = new ulong[1000];
        for (int i = 0; i < values.Length; i++) values[i] = sequential.Next();
        foreach (int k in new[] { 0, 1, 7, 500, 999 })
        {
            var jumped = new SplitMix64(0xDEADBEEFUL);
            jumped.Skip(k);
            Assert.Equal(values[k], jumped.Next());
        }
        var end = new SplitMix64(0xDEADBEEFUL);
        end.Skip(values.Length);
        Assert.Equal(sequential.State, end.State);
    }

    [Fact]
    public void A_mask_drawn_in_slices_equals_the_mask_drawn_at_once()
    {
        var whole = new float[97];
        var rng = new SplitMix64(42);
        Dropout.DrawMask(whole, 0.3f, ref rng);
        var sliced = new float[97];
        foreach (var (s, e) in new[] { (0, 10), (10, 50), (50, 97) })
        {
            var r = new SplitMix64(42);
            r.Skip(s);
            Dropout.DrawMask(sliced.AsSpan(s, e - s), 0.3f, ref r);
        }
        Assert.Equal(whole, sliced);
        Assert.Contains(0f, whole);
    }
}
