using System.Diagnostics;
using Dlm.Core;
using Dlm.Data.Caches;
using Dlm.Data.Settings;
using Dlm.Data.Sources;

namespace Dlm.Data.Build;

/// <summary>
/// Builds a pretrain cache (REFERENCE.md R1): documents streamed from the source, optionally through
/// the seeded shuffle buffer, tokenized in parallel and written in order; "val tokens first" (or
/// the source's own split), shards rolling at <c>shard_bytes</c>, <c>meta.json</c> last. A document
/// holding a special token's literal text fails the build, naming the source, record and token.
/// </summary>
public sealed class PretrainCacheBuilder : ISourceCacheBuilder
{
    /// <summary>
    /// Characters of text gathered per parallel batch: small enough that threads finish together
    /// (the last batch is a few milliseconds of tokenizing) and a few batches per thread in flight
    /// stay well under a megabyte each, large enough that handing batches over costs nothing.
    /// </summary>
    public const long BatchChars = 1 << 16;

    /// <inheritdoc/>
    public SourceBuildResult Build(SourceBuildRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var (source, settings, tok) = (request.Source, request.Settings, request.Tokenizer);
        var sw = Stopwatch.StartNew();
        var profile = request.Profile;
        long clock = profile is null ? 0 : BuildProfile.Now();
        var read = new SourceReadContext();
        MalformedReporter.Attach(read, source.Name, request.Progress);
        var staging = CacheFolder.Stage(request.OutputDir);
        try
        {
            var docs = DocumentSources.Read(source, settings.Seed, read);
            docs = ShuffleBuffer.Apply(docs, source.Options.ShuffleBuffer, settings.Seed);
            if (profile is not null) docs = profile.Timed(docs, BuildPhase.Read);
            request.Progress.SourceStarted(source.Name, read);

            long valTarget = source.Options.ValTokens;
            long trainTarget = source.Options.TrainTokens ?? long.MaxValue;
            bool sourceSplit = false;
            long documents = 0;
            using (var train = new TokenShardWriter(Path.Combine(staging, "train"), settings.ShardBytes, tok.Dtype))
            using (var val = new TokenShardWriter(Path.Combine(staging, "val"), settings.ShardBytes, tok.Dtype))
            {
                EncodedBatch.EncodeInto encode = profile is null
                    ? (d, ids, out n) => Encode(source, tok, d, ids, out n)
                    : (d, ids, out n) => ProfiledEncode(source, tok, d, ids, out n, profile);
                Func<IReadOnlyList<TextDocument>, EncodedBatch> map = profile is null
                    ? b => EncodedBatch.Encode(b, tok.Dtype, encode)
                    : b =>
                    {
                        long t = BuildProfile.Now();
                        try { return EncodedBatch.Encode(b, tok.Dtype, encode); }
                        finally { profile.Charge(BuildPhase.Pack, t); } // less what ProfiledEncode charged to its own phases
                    };
                if (profile is not null) clock = profile.Charge(BuildPhase.Setup, clock);
                foreach (var batch in OrderedParallel.MapBatches(docs, map, d => d.Text.Length, BatchChars, request.Threads, request.Cancellation))
                {
                    if (profile is not null) clock = BuildProfile.Now();
                    bool full = false;
                    using (batch)
                    {
                        var bytes = batch.Bytes;
                        int tb = batch.TokenBytes;
                        for (int i = 0; i < batch.Documents.Count; i++)
                        {
                            var doc = batch.Documents[i];
                            var rest = bytes[..(batch.Tokens[i] * tb)];
                            bytes = bytes[rest.Length..];
                            if (rest.Length == 0) continue;
                            documents++;
                            if (doc.Split == RecordSplit.Val) { sourceSplit = true; val.WriteEncoded(rest); continue; }
                            if (doc.Split == RecordSplit.Train) sourceSplit = true;
                            else if (val.Tokens < valTarget)
                            {
                                int n = (int)Math.Min(rest.Length / tb, valTarget - val.Tokens);
                                val.WriteEncoded(rest[..(n * tb)]);
                                rest = rest[(n * tb)..];
                            }
                            if (train.Tokens >= trainTarget) { full = doc.Split == RecordSplit.Any; if (full) break; continue; }
                            if (rest.Length > 0)
                            {
                                int n = (int)Math.Min(rest.Length / tb, trainTarget - train.Tokens);
                                train.WriteEncoded(rest[..(n * tb)]);
                            }
                            if (doc.Split == RecordSplit.Any && train.Tokens >= trainTarget && val.Tokens >= valTarget) { full = true; break; }
                        }
                    }
                    request.Progress.SourceProgress(source.Name, documents, train.Tokens + val.Tokens);
                    if (profile is not null) clock = profile.Charge(BuildPhase.Write, clock);
                    if (full) break;
                }
                if (profile is not null) clock = BuildProfile.Now();
                // The shards go to disk in the background while meta.json is written and flushed; it
                // is moved into place only once they are all on disk, so it still proves a whole cache.
                var onDisk = Task.WhenAll(train.Complete(), val.Complete());

                var splitRule = sourceSplit
                    ? source.Options.ValPath is not null ? "val_path->val, path->train"
                        : $"by file list, val_frac={PythonJson.FloatRepr(source.Options.ValFrac ?? 0)}, seed={settings.Seed}"
                    : "val tokens first, remaining to train";
                var meta = new Dictionary<string, object?>
                {
                    ["dataset_name"] = source.Options.DatasetName ?? source.Name,
                    ["dataset_config"] = source.Options.DatasetConfig,
                    ["split_rule"] = splitRule,
                    ["token_dtype"] = tok.Dtype.Name,
                    ["seed"] = settings.Seed,
                    ["shard_bytes"] = settings.ShardBytes,
                    ["train_tokens"] = train.Tokens,
                    ["val_tokens"] = val.Tokens,
                    ["train_tokens_target"] = source.Options.TrainTokens ?? train.Tokens,
                    ["val_tokens_target"] = sourceSplit ? val.Tokens : valTarget,
                    ["shuffle_buffer"] = source.Options.ShuffleBuffer > 0 ? source.Options.ShuffleBuffer : null,
                    ["streaming"] = true,
                    ["tokenizer_sha256"] = tok.Sha256,
                    ["vocab_size"] = tok.VocabSize,
                    ["special_token_ids"] = tok.SpecialTokenIds.ToMeta(),
                    ["expected_special_token_ids"] = (tok.Settings.ExpectedSpecialTokenIds ?? tok.SpecialTokenIds).ToMeta(),
                    ["documents"] = documents,
                    ["skipped_records"] = read.MalformedCount,
                    ["source_options"] = SourceFingerprint.Of(source, settings),
                };
                using (var pending = CacheMeta.Prepare(staging, meta))
                {
                    onDisk.GetAwaiter().GetResult();
                    pending.Commit();
                }
                CacheFolder.Commit(staging, request.OutputDir);
                profile?.Charge(BuildPhase.Finish, clock);
                return new SourceBuildResult
                {
                    Source = source.Name,
                    Side = "pretrain",
                    Status = SourceBuildStatus.Built,
                    Path = request.OutputDir,
                    Records = documents,
                    TrainTokens = train.Tokens,
                    ValTokens = val.Tokens,
                    SkippedRecords = read.MalformedCount,
                    BytesRead = read.BytesRead,
                    Seconds = sw.Elapsed.TotalSeconds,
                };
            }
        }
        catch
        {
            CacheFolder.Abandon(staging);
            throw;
        }
    }

    private static bool Encode(SourceSettings source, CacheTokenizer tok, TextDocument doc, Span<int> ids, out int written)
    {
        if (tok.FindSpecialLiteral(doc.Text) is { } special)
            throw new DlmException($"source {source.Name}: {doc.Location}: the document contains the special token '{special}' as text; remove it from the data");
        return tok.Tokenizer.TryEncode(doc.Text, ids, out written);
    }

    // Encode, with the check and the tokenizer each charged to their phase (and taken back from the batch's Pack).
    private static bool ProfiledEncode(SourceSettings source, CacheTokenizer tok, TextDocument doc, Span<int> ids, out int written, BuildProfile profile)
    {
        long t0 = BuildProfile.Now();
        if (tok.FindSpecialLiteral(doc.Text) is { } special)
            throw new DlmException($"source {source.Name}: {doc.Location}: the document contains the special token '{special}' as text; remove it from the data");
        long t1 = profile.Charge(BuildPhase.SpecialCheck, t0);
        bool fits = tok.Tokenizer.TryEncode(doc.Text, ids, out written);
        long t2 = profile.Charge(BuildPhase.Tokenize, t1);
        profile.Add(BuildPhase.Pack, t0 - t2);
        return fits;
    }
}
