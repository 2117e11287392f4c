using System.Text.Json;
using Dlm.Core;
using Dlm.Data.Caches;

namespace Dlm.Data.Readers;

/// <summary>The facts of a cache's meta.json that readers check: token dtype, tokenizer hash, vocabulary and special ids.</summary>
/// <param name="Dir">The cache folder.</param>
/// <param name="Dtype">Token dtype.</param>
/// <param name="TokenizerSha256">The tokenizer hash it was built with (null if unrecorded).</param>
/// <param name="VocabSize">Vocabulary size (0 if unrecorded).</param>
/// <param name="EotId">The end-of-turn id (-1 if unrecorded).</param>
public sealed record CacheInfo(string Dir, TokenDtype Dtype, string? TokenizerSha256, int VocabSize, int EotId)
{
    /// <summary>Reads <c>dir/meta.json</c>.</summary>
    /// <exception cref="DlmException">Missing or unusable meta.json, or a tokenizer hash other than <paramref name="expectedTokenizerSha256"/>.</exception>
    public static CacheInfo Read(string dir, string? expectedTokenizerSha256 = null)
    {
        var meta = CacheMeta.Read(dir) ?? throw new DlmException($"missing meta file: {Path.Combine(dir, CacheMeta.FileName)} (build it with dlm cache build-all)");
        var where = Path.Combine(dir, CacheMeta.FileName);
        var dtype = TokenDtype.Parse(meta.TryGetProperty("token_dtype", out var d) && d.ValueKind == JsonValueKind.String ? d.GetString() : null, where);
        string? sha = meta.TryGetProperty("tokenizer_sha256", out var s) && s.ValueKind == JsonValueKind.String ? s.GetString() : null;
        if (expectedTokenizerSha256 is not null && sha != expectedTokenizerSha256)
            throw new DlmException($"{where}: built with tokenizer sha256 {sha ?? "(none)"}, expected {expectedTokenizerSha256}; rebuild the cache");
        int vocab = meta.TryGetProperty("vocab_size", out var v) && v.ValueKind == JsonValueKind.Number ? v.GetInt32() : 0;
        int eot = meta.TryGetProperty("special_token_ids", out var ids) && ids.ValueKind == JsonValueKind.Object
            && ids.TryGetProperty("eot", out var e) && e.ValueKind == JsonValueKind.Number ? e.GetInt32() : -1;
        return new CacheInfo(dir, dtype, sha, vocab, eot);
    }
}
