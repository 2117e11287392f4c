using Dlm.Documents.Ids;

namespace Dlm.Documents.Tests.Ids;

public class DocumentIdsTests
{
    [Fact]
    public void New_ids_are_valid_ulids_that_parse_back()
    {
        var id = DocumentIds.New();
        Assert.Equal(26, id.Length);
        Assert.True(DocumentIds.IsValid(id));
        Assert.Equal(id, Ulid.Parse(id).ToString());
    }

    [Fact]
    public void Ids_strictly_increase_even_within_one_millisecond()
    {
        var now = DateTimeOffset.UtcNow;
        var ids = Enumerable.Range(0, 1000).Select(_ => DocumentIds.NewUlid(now)).ToList();
        for (var i = 1; i < ids.Count; i++)
            Assert.True(ids[i].CompareTo(ids[i - 1]) > 0, $"id {i} does not exceed id {i - 1}");
        // Same clock reading: after the first, each is the previous plus one, same timestamp.
        Assert.All(ids, u => Assert.Equal(ids[0].Time, u.Time));
        for (var i = 1; i < ids.Count; i++)
        {
            var a = new System.Numerics.BigInteger(ids[i - 1].ToByteArray(), isUnsigned: true, isBigEndian: true);
            var b = new System.Numerics.BigInteger(ids[i].ToByteArray(), isUnsigned: true, isBigEndian: true);
            Assert.Equal(a + 1, b);
        }
    }

    [Fact]
    public void A_clock_going_backwards_still_yields_larger_ids()
    {
        var a = DocumentIds.NewUlid(DateTimeOffset.UtcNow.AddSeconds(5));
        var b = DocumentIds.NewUlid(DateTimeOffset.UtcNow);
        Assert.True(b.CompareTo(a) > 0);
        Assert.True(string.CompareOrdinal(b.ToString(), a.ToString()) > 0);
    }

    [Fact]
    public void Ids_from_many_threads_are_unique()
    {
        var ids = new System.Collections.Concurrent.ConcurrentBag<string>();
        Parallel.For(0, 2000, _ => ids.Add(DocumentIds.New()));
        Assert.Equal(2000, ids.Distinct().Count());
    }

    [Theory]
    [InlineData("01KPQ9X1000000000000000000", true)]
    [InlineData("01kpq9x1000000000000000000", false)] // lower case: upstream's schema refuses it
    [InlineData("01KPQ9X100000000000000000", false)]  // 25 chars
    [InlineData("01KPQ9X10000000000000000000", false)] // 27 chars
    [InlineData("01KPQ9X100000000000000000I", false)] // I is not Crockford
    [InlineData("01KPQ9X100000000000000000U", false)]
    [InlineData("", false)]
    [InlineData(null, false)]
    public void IsValid_follows_upstreams_pattern(string? id, bool valid) => Assert.Equal(valid, DocumentIds.IsValid(id));
}
