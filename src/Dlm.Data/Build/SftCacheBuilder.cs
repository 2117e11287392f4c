using System.Diagnostics;
using Dlm.Chat;
using Dlm.Chat.Renderers;
using Dlm.Core;
using Dlm.Data.Caches;
using Dlm.Data.Settings;
using Dlm.Data.Sources;
using Dlm.Tokenizers;

namespace Dlm.Data.Build;

/// <summary>
/// Builds an SFT cache: each conversation rendered with the settings' renderer (default
/// <c>niels</c>) and labelled by its <see cref="TrainOnWhat"/>; labels unshifted (-100 where not
/// trained); every example cut to its first <c>sft_max_tokens</c> tokens (counted), one with no
/// trained token left dropped (counted); 10% (or the source's <c>val_frac</c>) to val by a seeded
/// permutation unless the source has a <c>val_path</c>. Written in the sharded layout
/// (<see cref="SftShardWriter"/>), meta.json last.
/// </summary>
public sealed class SftCacheBuilder : ISourceCacheBuilder
{
    private sealed record Example(int[] Ids, int[] Labels, bool Cut, int CutTokens, string? Problem);

    /// <inheritdoc/>
    public SourceBuildResult Build(SourceBuildRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var (source, settings, tok) = (request.Source, request.Settings, request.Tokenizer);
        var sw = Stopwatch.StartNew();
        var renderer = CreateRenderer(settings.Renderer, tok);
        double valFrac = source.Options.ValFrac ?? settings.SftValFrac;

        // First pass (no tokenizing): how many records, to draw the seeded validation permutation.
        int count = 0;
        bool sourceSplit = false;
        foreach (var c in ConversationSources.Read(source, new SourceReadContext()))
        {
            count++;
            if (c.Split != RecordSplit.Any) sourceSplit = true;
        }
        var valSet = sourceSplit ? [] : SourceFiles.ValIndices(count, valFrac, settings.Seed);

        var read = new SourceReadContext();
        MalformedReporter.Attach(read, source.Name, request.Progress);
        var staging = CacheFolder.Stage(request.OutputDir);
        try
        {
            var indexed = ConversationSources.Read(source, read).Select((c, i) => (Conversation: c, Index: i));
            request.Progress.SourceStarted(source.Name, read);
            long cutExamples = 0, cutTokens = 0, untrained = 0, unrenderable = 0, records = 0;
            using var train = new SftShardWriter(Path.Combine(staging, "train"), settings.ShardBytes, tok.Dtype);
            using var val = new SftShardWriter(Path.Combine(staging, "val"), settings.ShardBytes, tok.Dtype);
            foreach (var batch in OrderedParallel.Map(indexed, x => Render(source, tok, renderer, settings, x.Conversation),
                x => x.Conversation.Messages.Sum(m => (long)m.Content.Length), PretrainCacheBuilder.BatchChars, request.Threads, request.Cancellation))
            {
                foreach (var ((conversation, index), ex) in batch)
                {
                    records++;
                    if (ex.Problem is not null)
                    {
                        unrenderable++;
                        read.ReportMalformed(conversation.Location, ex.Problem);
                        continue;
                    }
                    if (ex.Cut) { cutExamples++; cutTokens += ex.CutTokens; }
                    if (!ex.Labels.Any(l => l != -100)) { untrained++; continue; }
                    bool isVal = conversation.Split == RecordSplit.Val || (conversation.Split == RecordSplit.Any && valSet.Contains(index));
                    (isVal ? val : train).Write(ex.Ids, ex.Labels);
                }
                request.Progress.SourceProgress(source.Name, records, train.Tokens + val.Tokens);
            }
            train.Dispose();
            val.Dispose();

            var meta = new Dictionary<string, object?>
            {
                ["dataset_name"] = source.Options.DatasetName ?? source.Name,
                ["dataset_config"] = source.Options.DatasetConfig,
                ["split_rule"] = sourceSplit ? "val_path->val, path->train" : $"seeded permutation val_frac={PythonJson.FloatRepr(valFrac)}, seed={settings.Seed}",
                ["token_dtype"] = tok.Dtype.Name,
                ["label_dtype"] = "int32-le",
                ["seed"] = settings.Seed,
                ["shard_bytes"] = settings.ShardBytes,
                ["val_frac"] = valFrac,
                ["train_examples"] = train.Examples,
                ["val_examples"] = val.Examples,
                ["train_tokens"] = train.Tokens,
                ["val_tokens"] = val.Tokens,
                ["dropped_malformed_examples"] = read.MalformedCount,
                ["dropped_untrained_examples"] = untrained,
                ["cut_examples"] = cutExamples,
                ["cut_tokens"] = cutTokens,
                ["max_tokens"] = settings.SftMaxTokens,
                ["renderer"] = settings.Renderer,
                ["train_on_what"] = settings.TrainOnWhat.ToValue(),
                ["tokenizer_sha256"] = tok.Sha256,
                ["vocab_size"] = tok.VocabSize,
                ["special_token_ids"] = tok.SpecialTokenIds.ToMeta(),
                ["expected_special_token_ids"] = (tok.Settings.ExpectedSpecialTokenIds ?? tok.SpecialTokenIds).ToMeta(),
                ["source_options"] = SourceFingerprint.Of(source, settings),
            };
            CacheMeta.Write(staging, meta);
            CacheFolder.Commit(staging, request.OutputDir);
            return new SourceBuildResult
            {
                Source = source.Name,
                Side = "sft",
                Status = SourceBuildStatus.Built,
                Path = request.OutputDir,
                Records = train.Examples + val.Examples,
                TrainTokens = train.Tokens,
                ValTokens = val.Tokens,
                TrainExamples = train.Examples,
                ValExamples = val.Examples,
                SkippedRecords = read.MalformedCount + untrained,
                CutExamples = cutExamples,
                BytesRead = read.BytesRead,
                Seconds = sw.Elapsed.TotalSeconds,
            };
        }
        catch
        {
            CacheFolder.Abandon(staging);
            throw;
        }
    }

    /// <summary>The renderer of the settings; <c>niels</c> uses the settings' special token strings.</summary>
    public static IRenderer CreateRenderer(string name, CacheTokenizer tokenizer)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        return name == "niels" ? new NielsRenderer(tokenizer.Tokenizer, tokenizer.Settings.SpecialTokens) : RendererRegistry.Create(name, tokenizer.Tokenizer);
    }

    private static Example Render(SourceSettings source, CacheTokenizer tok, IRenderer renderer, DataSettings settings, Conversation c)
    {
        foreach (var m in c.Messages)
            if (tok.FindSpecialLiteral(m.Content) is { } special)
                throw new DlmException($"source {source.Name}: {c.Location}: a {m.Role} message contains the special token '{special}' as text; remove it from the data");
        SupervisedExample ex;
        try { ex = renderer.BuildSupervisedExample(c.Messages, settings.TrainOnWhat); }
        catch (DlmException e) { return new Example([], [], false, 0, $"cannot render: {e.Message}"); }
        var ids = ex.ModelInput.ToInts();
        var labels = new int[ids.Length];
        var w = ex.Weights;
        for (int i = 0; i < ids.Length; i++) labels[i] = w[i] > 0 ? ids[i] : -100;
        int max = settings.SftMaxTokens;
        if (ids.Length <= max) return new Example(ids, labels, false, 0, null);
        return new Example(ids[..max], labels[..max], true, ids.Length - max, null);
    }
}
