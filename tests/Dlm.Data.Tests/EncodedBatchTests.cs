using Dlm.Data.Build;
using Dlm.Data.Caches;
using Dlm.Data.Sources;

namespace Dlm.Data.Tests;

/// <summary>A worker's batch holds exactly the bytes the id-by-id writer writes, however many ids a document gives.</summary>
public class EncodedBatchTests
{
    // A stand-in tokenizer: every character becomes `per` ids (so a long document overflows both the
    // batch's first buffer and the 65,536-id scratch buffer), ids spread over the whole dtype.
    private static EncodedBatch.EncodeInto Expand(int per, int max) => (TextDocument d, Span<int> ids, out int written) =>
    {
        written = d.Text.Length * per;
        if (written > ids.Length) return false;
        for (int i = 0; i < written; i++) ids[i] = (int)((d.Text[i / per] * 7919L + i) % max);
        return true;
    };

    [Theory]
    [InlineData(2, 65535)]
    [InlineData(4, 200_000)]
    public void Batch_bytes_are_the_writers_bytes_for_every_document(int dtypeBytes, int vocab)
    {
        var dtype = dtypeBytes == 2 ? TokenDtype.U16 : TokenDtype.U32;
        var docs = new[] { "short", "", new string('x', 40_000), "the end" }.Select((t, i) => new TextDocument(t, $"doc {i}")).ToList();
        var encode = Expand(3, vocab);
        using var batch = EncodedBatch.Encode(docs, dtype, encode);

        using var expected = new MemoryStream();
        var buffer = new byte[1 << 16];
        var ids = new int[200_000];
        for (int i = 0; i < docs.Count; i++)
        {
            Assert.True(encode(docs[i], ids, out int n));
            Assert.Equal(n, batch.Tokens[i]);
            TokenShardWriter.WriteIds(expected, ids.AsSpan(0, n), dtype, buffer);
        }
        Assert.Equal(dtypeBytes, batch.TokenBytes);
        Assert.Equal(expected.ToArray(), batch.Bytes.ToArray());
    }

    [Fact]
    public async Task Encoded_ids_roll_shards_like_ids()
    {
        using var dir = new TestData();
        var ids = Enumerable.Range(0, 1000).Select(i => i * 37 % 65535).ToArray();
        var bytes = new MemoryStream();
        TokenShardWriter.WriteIds(bytes, ids, TokenDtype.U16, new byte[1 << 16]);
        using (var a = new TokenShardWriter(Path.Combine(dir.Dir, "a"), 300, TokenDtype.U16))
        using (var b = new TokenShardWriter(Path.Combine(dir.Dir, "b"), 300, TokenDtype.U16))
        {
            a.Write(ids);
            b.WriteEncoded(bytes.ToArray().AsSpan(0, 555 * 2));
            b.WriteEncoded(bytes.ToArray().AsSpan(555 * 2));
            Assert.Throws<ArgumentException>(() => b.WriteEncoded(new byte[3]));
            await a.Complete();
            await b.Complete();
            Assert.Equal(a.Shards, b.Shards);
        }
        var names = Directory.GetFiles(Path.Combine(dir.Dir, "a")).Select(Path.GetFileName).Order().ToList();
        Assert.Equal(7, names.Count); // 150 ids per 300-byte shard
        foreach (var n in names)
            Assert.Equal(File.ReadAllBytes(Path.Combine(dir.Dir, "a", n!)), File.ReadAllBytes(Path.Combine(dir.Dir, "b", n!)));
    }
}
