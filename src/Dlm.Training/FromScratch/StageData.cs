using Dlm.Core;
using Dlm.Data.Caches;
using Dlm.Data.Readers;
using Dlm.Data.Settings;

namespace Dlm.Training.FromScratch;

/// <summary>
/// The caches a stage reads, opened: the train and val splits of every source of its mix
/// (<c>mix_pretrain</c> or <c>mix_sft</c>), and the batches drawn from them (REFERENCE.md R1: source by
/// mix weight, then a uniform window of T+1 inside one shard for pretraining, a random example padded
/// with end-of-turn and labels -100 for SFT). Validation draws a fixed-seed sequence of batches, the
/// same at every evaluation.
/// </summary>
internal sealed class StageData : IDisposable
{
    private readonly List<IDisposable> _open = [];
    private readonly StageKind _kind;
    private readonly int _batch, _seq, _eot;
    private readonly Dictionary<string, (double, PretrainCache)> _pretrainTrain = new(StringComparer.Ordinal), _pretrainVal = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (double, SftCache)> _sftTrain = new(StringComparer.Ordinal), _sftVal = new(StringComparer.Ordinal);
    private readonly PretrainBatchSampler? _pretrain;
    private readonly SftBatchSampler? _sft;
    private readonly SftBatch? _sftBatch;
    private readonly long _valSeed;

    /// <summary>The cache folders a stage needs that have no <c>meta.json</c> (empty when all are built).</summary>
    public static IReadOnlyList<string> Missing(DataSettings data, StageKind kind)
    {
        ArgumentNullException.ThrowIfNull(data);
        var (root, mix) = kind == StageKind.Pretrain ? (data.PretrainRoot, data.MixPretrain) : (data.SftRoot, data.MixSft);
        return mix.Sources.Select(s => Path.Combine(root, s)).Where(d => !File.Exists(Path.Combine(d, CacheMeta.FileName))).ToList();
    }

    public StageData(DataSettings data, StageKind kind, CacheTokenizer tokenizer, int batch, int seq, long seed)
    {
        _kind = kind;
        _batch = batch;
        _seq = seq;
        _eot = tokenizer.SpecialTokenIds.Eot;
        _valSeed = seed + 1_000_003;
        try
        {
            if (kind == StageKind.Pretrain)
            {
                foreach (var (name, w) in data.MixPretrain.Weights)
                {
                    var dir = Path.Combine(data.PretrainRoot, name);
                    _pretrainTrain[name] = (w, Keep(PretrainCache.Open(dir, "train", tokenizer.Sha256)));
                    _pretrainVal[name] = (w, Keep(PretrainCache.Open(dir, "val", tokenizer.Sha256)));
                    CheckVocab(_pretrainTrain[name].Item2.Info, tokenizer);
                }
                _pretrain = new PretrainBatchSampler(_pretrainTrain, seq, seed);
                _ = new PretrainBatchSampler(_pretrainVal, seq, _valSeed); // fails now, not at the first evaluation, if val is too short
            }
            else
            {
                foreach (var (name, w) in data.MixSft.Weights)
                {
                    var dir = Path.Combine(data.SftRoot, name);
                    _sftTrain[name] = (w, Keep(SftCache.Open(dir, "train", tokenizer.Sha256)));
                    _sftVal[name] = (w, Keep(SftCache.Open(dir, "val", tokenizer.Sha256)));
                    CheckVocab(_sftTrain[name].Item2.Info, tokenizer);
                }
                _sft = new SftBatchSampler(_sftTrain, seq, _eot, seed);
                _ = new SftBatchSampler(_sftVal, seq, _eot, _valSeed);
                _sftBatch = new SftBatch(batch, seq);
            }
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    private static void CheckVocab(CacheInfo info, CacheTokenizer tokenizer)
    {
        if (info.VocabSize != 0 && info.VocabSize != tokenizer.VocabSize)
            throw new DlmException($"{Path.Combine(info.Dir, CacheMeta.FileName)}: vocab_size {info.VocabSize}, but the tokenizer {tokenizer.File} has {tokenizer.VocabSize} ids; rebuild the caches");
    }

    private T Keep<T>(T d) where T : IDisposable
    {
        _open.Add(d);
        return d;
    }

    /// <summary>The training sampler's generator state.</summary>
    public ulong RngState
    {
        get => _pretrain?.RngState ?? _sft!.RngState;
        set
        {
            if (_pretrain is not null) _pretrain.RngState = value;
            else _sft!.RngState = value;
        }
    }

    /// <summary>Fills one training batch ([B, T] tokens, targets with -100 where untrained, weights).</summary>
    public void NextTrain(int[] tokens, int[] targets, float[] weights)
    {
        if (_pretrain is not null) FillPretrain(_pretrain, tokens, targets, weights);
        else FillSft(_sft!, tokens, targets, weights);
    }

    /// <summary>A fresh validation sequence (same seed each time), yielding <paramref name="batches"/> batches.</summary>
    public IEnumerable<int> Validation(int batches, int[] tokens, int[] targets, float[] weights)
    {
        if (_kind == StageKind.Pretrain)
        {
            var s = new PretrainBatchSampler(_pretrainVal, _seq, _valSeed);
            for (int i = 0; i < batches; i++)
            {
                FillPretrain(s, tokens, targets, weights);
                yield return i;
            }
        }
        else
        {
            var s = new SftBatchSampler(_sftVal, _seq, _eot, _valSeed);
            for (int i = 0; i < batches; i++)
            {
                FillSft(s, tokens, targets, weights);
                yield return i;
            }
        }
    }

    private void FillPretrain(PretrainBatchSampler s, int[] tokens, int[] targets, float[] weights)
    {
        s.NextBatch(_batch, tokens, targets);
        weights.AsSpan(0, _batch * _seq).Fill(1f);
    }

    private void FillSft(SftBatchSampler s, int[] tokens, int[] targets, float[] weights)
    {
        s.Fill(_sftBatch!);
        _sftBatch!.Inputs.CopyTo(tokens, 0);
        _sftBatch.Targets.CopyTo(targets, 0);
        _sftBatch.LossMask.CopyTo(weights, 0);
    }

    public void Dispose()
    {
        foreach (var d in _open) d.Dispose();
        _open.Clear();
    }
}
