using System.Globalization;
using System.Text.Json;
using Dlm.Chat;
using Dlm.Core;
using Dlm.Models.Config;
using Dlm.Models.IO;
using Dlm.Models.Lora;
using Dlm.Models.Optim;
using Dlm.Models.Training;
using Dlm.Models.Transformer;
using Dlm.Tokenizers;

namespace Dlm.Training.Client;

/// <summary>
/// The training client on dlm's own engine, in this process. Full fine-tuning or LoRA of a
/// Hugging Face model folder, or training a preset from scratch. Each call packs its datums into
/// micro-batches (<see cref="MicroBatchPacker"/>) and accumulates their gradients, so a call
/// computes what one big padded batch would, whatever the lengths. The work is done before the
/// returned task completes (the tasks keep Tinker's shape so a remote client can pipeline).
/// Not thread-safe: one call at a time.
/// </summary>
public sealed class LocalTrainingClient : ITrainingClient
{
    private const int MinSeq = 128;
    private readonly LocalTrainingOptions _options;
    private readonly ModelConfig _config;
    private readonly LoraConfig? _lora;
    private readonly Tokenizer? _tokenizer;
    private readonly string? _baseFolder;
    private readonly string _tokenizerSource;
    private TransformerModel _model;
    private ModelTrainer? _trainer;
    private AdamParams? _trainerParams;
    private readonly SettableRate _rate = new();
    private int[] _tokens = [], _targets = [];
    private float[] _weights = [];

    private sealed class SettableRate : ILearningRateSchedule
    {
        public float Rate { get; set; }

        public float At(int step) => Rate;
    }

    /// <summary>Loads the base model (or builds the preset) and its tokenizer.</summary>
    public LocalTrainingClient(LocalTrainingOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.TokensPerMicroBatch <= 0) throw new DlmException($"tokens per micro-batch must be positive, not {options.TokensPerMicroBatch}");
        if (options.LoraRank < 0) throw new DlmException($"lora_rank must be 0 (full fine-tuning) or positive, not {options.LoraRank}");
        _options = options;
        bool preset = ModelPresets.IsPreset(options.BaseModel) || options.ModelConfig is not null;
        if (!preset)
        {
            _baseFolder = Path.GetFullPath(options.BaseModel);
            if (!Directory.Exists(_baseFolder)) throw new DlmException($"{options.BaseModel}: model folder not found");
        }
        else if (options.TokenizerPath is null && options.ModelConfig is null)
            throw new DlmException($"model {options.BaseModel} is a from-scratch preset: give the tokenizer to train with (a folder with tokenizer.json)");
        if (preset && options.LoraRank > 0)
            throw new DlmException($"LoRA needs a pretrained base model folder; {options.BaseModel} starts from random weights (use lora_rank=0)");
        if (options.ModelConfig is { } shape)
        {
            _tokenizerSource = "";
            _config = shape.Validate();
        }
        else
        {
            _tokenizerSource = Path.GetFullPath(options.TokenizerPath ?? _baseFolder!);
            _tokenizer = Tokenizer.FromPath(_tokenizerSource);
            _config = preset ? ModelPresets.Create(options.BaseModel, _tokenizer.VocabSize) : HfModelFolder.LoadConfig(_baseFolder!);
        }
        if (_tokenizer is not null && _tokenizer.VocabSize > _config.VocabSize)
            throw new DlmException($"the tokenizer has {_tokenizer.VocabSize} ids but the model's vocabulary holds {_config.VocabSize}");
        if (options.LoraRank > 0)
            _lora = new LoraConfig(options.LoraRank, options.LoraAlpha ?? 32f, options.LoraDropout, options.LoraTargetModules ?? AllLinear(_config));
        _model = new TransformerModel(_config, 1, Math.Min(MinSeq, _config.ContextLength), _lora, TrainingGemm.Default);
        _model.InitializeWeights(options.Seed);
        if (_baseFolder is not null && options.ModelConfig is null) HfModelFolder.LoadWeights(_baseFolder, _model.Layout, _model.Weights);
        Resize(_model.MaxSeq);
    }

    /// <summary>Every linear layer of a block, by its PEFT module name.</summary>
    public static IReadOnlyList<string> AllLinear(ModelConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        return config.Family == ModelFamily.Gpt2
            ? ["c_attn", "c_proj", "c_fc"]
            : ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"];
    }

    /// <summary>The model being trained (its buffers are replaced when a longer datum arrives).</summary>
    internal TransformerModel Model => _model;

    /// <summary>Optimizer steps applied so far.</summary>
    public int Step => _trainer?.Step ?? 0;

    /// <inheritdoc/>
    public ITokenizer GetTokenizer() => _tokenizer ?? throw new DlmException("this client trains a bare model shape and has no tokenizer");

    /// <inheritdoc/>
    public TrainingInfo GetInfo() => new(_options.BaseModel, _config.ModelType, _options.LoraRank, _model.Layout.Count,
        _model.TrainableWeights.Length, _config.ContextLength, _options.TokensPerMicroBatch);

    /// <inheritdoc/>
    public Task<ForwardBackwardOutput> ForwardBackwardAsync(IReadOnlyList<Datum> data, string lossFn, CancellationToken ct = default) =>
        Task.FromResult(Run(data, lossFn, backward: true, ct));

    /// <inheritdoc/>
    public Task<ForwardBackwardOutput> ForwardAsync(IReadOnlyList<Datum> data, string lossFn, CancellationToken ct = default) =>
        Task.FromResult(Run(data, lossFn, backward: false, ct));

    private ForwardBackwardOutput Run(IReadOnlyList<Datum> data, string lossFn, bool backward, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(data);
        LossFunctions.Require(lossFn);
        var lengths = new int[data.Count];
        for (int i = 0; i < data.Count; i++)
        {
            var d = data[i];
            int len = d.ModelInput.Length;
            if (len == 0) throw new DlmException($"datum {i} has no tokens");
            if (!d.LossFnInputs.ContainsKey(Datum.TargetTokensKey) || !d.LossFnInputs.ContainsKey(Datum.WeightsKey))
                throw new DlmException($"datum {i}: {LossFunctions.CrossEntropy} needs the loss inputs {Datum.TargetTokensKey} and {Datum.WeightsKey}");
            if (d.TargetTokens.Length != len || d.Weights.Length != len)
                throw new DlmException($"datum {i}: {len} input tokens but {d.TargetTokens.Length} targets and {d.Weights.Length} weights");
            if (len > _config.ContextLength)
                throw new DlmException($"datum {i} has {len} tokens, more than the model's context of {_config.ContextLength} (lower max_length)");
            lengths[i] = len;
        }
        var outputs = new float[data.Count][];
        for (int i = 0; i < data.Count; i++) outputs[i] = new float[lengths[i]];
        double lossSum = 0;
        if (data.Count > 0)
        {
            Resize(lengths.Max());
            foreach (var mb in MicroBatchPacker.Pack(lengths, Math.Max(_options.TokensPerMicroBatch, lengths.Max())))
            {
                ct.ThrowIfCancellationRequested();
                lossSum += RunMicroBatch(data, mb, outputs, backward);
            }
        }
        var perDatum = outputs.Select(o => (IReadOnlyDictionary<string, TensorData>)new Dictionary<string, TensorData>
        {
            [ForwardBackwardOutput.LogprobsKey] = TensorData.FromFloat32(o),
        }).ToList();
        return new ForwardBackwardOutput(perDatum, new Dictionary<string, double> { [ForwardBackwardOutput.LossSumKey] = lossSum });
    }

    /// <summary>
    /// One micro-batch through the engine: fills the preallocated [rows, SeqLen] buffers (padding
    /// gets no target), runs forward (and backward of the summed loss), copies each row's logprobs
    /// into <paramref name="outputs"/>. Allocates nothing.
    /// </summary>
    internal double RunMicroBatch(IReadOnlyList<Datum> data, MicroBatch mb, float[][] outputs, bool backward)
    {
        int t = mb.SeqLen, b = mb.Indices.Length, n = b * t;
        var tokens = _tokens.AsSpan(0, n);
        var targets = _targets.AsSpan(0, n);
        var weights = _weights.AsSpan(0, n);
        bool anyWeight = false;
        for (int r = 0; r < b; r++)
        {
            var d = data[mb.Indices[r]];
            int len = d.ModelInput.Length, at = r * t;
            int k = at;
            var chunks = d.ModelInput.Chunks;
            for (int c = 0; c < chunks.Count; c++) // by index: enumerating the interface would allocate
            {
                chunks[c].Tokens.CopyTo(tokens[k..]);
                k += chunks[c].Length;
            }
            var tg = d.TargetTokens;
            for (int i = 0; i < len; i++)
            {
                long id = tg[i];
                if ((ulong)id >= (ulong)_config.VocabSize) throw new DlmException($"datum {mb.Indices[r]}: target token {id} is outside the vocabulary ({_config.VocabSize})");
                targets[at + i] = (int)id;
            }
            d.Weights.CopyTo(weights[at..]);
            foreach (var w in d.Weights) anyWeight |= w != 0;
            tokens[(at + len)..(at + t)].Clear();
            targets[(at + len)..(at + t)].Fill(-1);
            weights[(at + len)..(at + t)].Clear();
        }
        // Targets: Tinker returns a logprob for every target token; the backward still skips weight 0.
        var loss = _model.Forward(tokens, targets, weights, b, t, training: backward, HeadMode.Targets);
        var logp = _model.TokenLogprobs;
        for (int r = 0; r < b; r++)
        {
            var o = outputs[mb.Indices[r]];
            logp.Slice(r * t, o.Length).CopyTo(o);
        }
        // The loss is the token sum (Tinker cross_entropy), so every micro-batch's backward has scale 1.
        if (backward && anyWeight) _model.Backward(1f);
        return loss.Sum;
    }

    /// <inheritdoc/>
    public Task<OptimStepOutput> OptimStepAsync(AdamParams adamParams, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(adamParams);
        var trainer = TrainerFor(adamParams);
        _rate.Rate = (float)adamParams.LearningRate;
        var r = trainer.ApplyUpdate(0);
        _model.ZeroGradients();
        return Task.FromResult(new OptimStepOutput(new Dictionary<string, double>
        {
            ["grad_norm"] = r.GradNorm,
            ["learning_rate"] = r.LearningRate,
            ["skipped"] = r.Skipped ? 1 : 0,
        }));
    }

    private ModelTrainer TrainerFor(AdamParams p)
    {
        if (!(p.LearningRate >= 0) || double.IsInfinity(p.LearningRate)) throw new DlmException($"learning_rate must be finite and >= 0, not {p.LearningRate}");
        if (!(p.GradClipNorm >= 0)) throw new DlmException($"grad_clip_norm must be >= 0, not {p.GradClipNorm}");
        var same = _trainerParams is { } q && q with { LearningRate = 0 } == p with { LearningRate = 0 };
        if (_trainer is not null && same) return _trainer;
        AdamWOptions options;
        try
        {
            options = new AdamWOptions((float)p.Beta1, (float)p.Beta2, (float)p.Eps, (float)p.WeightDecay);
            options.Validate();
        }
        catch (ArgumentOutOfRangeException e)
        {
            throw new DlmException($"adam params: {e.Message.Split('\n')[0]}");
        }
        var next = new ModelTrainer(_model, options, _rate, (float)p.GradClipNorm);
        if (_trainer is not null)
        {
            // New hyper-parameters keep the moments and the step count, as Tinker does.
            _trainer.M.CopyTo(next.M, 0);
            _trainer.V.CopyTo(next.V, 0);
            next.Step = _trainer.Step;
        }
        _trainer = next;
        _trainerParams = p;
        return next;
    }

    /// <inheritdoc/>
    public Task<string> SaveStateAsync(string name, CancellationToken ct = default)
    {
        var folder = CheckpointFolder(name);
        var path = Path.Combine(folder, "state.safetensors");
        NativeCheckpoint.Save(path, _trainer ?? TrainerFor(new AdamParams()), _options.StateIncludesBaseWeights);
        return Task.FromResult(path);
    }

    /// <inheritdoc/>
    public Task LoadStateAsync(string path, bool withOptimizer, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!File.Exists(path)) throw new DlmException($"{path}: no such training state");
        AdamParams saved;
        using (var file = SafeTensorsFile.Open(path))
        {
            var meta = file.Metadata;
            if (!meta.TryGetValue("adamw", out var adamw) || !meta.TryGetValue("clip", out var clip))
                throw new DlmException($"{path}: not a dlm training state");
            var o = JsonSerializer.Deserialize<AdamWOptions>(adamw) ?? throw new DlmException($"{path}: malformed optimizer settings");
            saved = new AdamParams
            {
                LearningRate = _trainerParams?.LearningRate ?? new AdamParams().LearningRate,
                Beta1 = o.Beta1, Beta2 = o.Beta2, Eps = o.Eps, WeightDecay = o.WeightDecay,
                GradClipNorm = float.Parse(clip, CultureInfo.InvariantCulture),
            };
        }
        // The checkpoint remembers the float settings; a trainer built from them matches it exactly.
        _trainer = null;
        var trainer = TrainerFor(saved);
        NativeCheckpoint.Load(path, trainer);
        if (!withOptimizer)
        {
            Array.Clear(trainer.M);
            Array.Clear(trainer.V);
            trainer.Step = 0;
        }
        _model.ZeroGradients();
        return Task.CompletedTask;
    }

    /// <inheritdoc/>
    public Task<string> SaveWeightsForSamplerAsync(string name, CancellationToken ct = default)
    {
        var folder = Path.Combine(CheckpointFolder(name), "sampler_weights");
        if (_lora is not null && _model.Lora is { } adapters)
            PeftAdapterWriter.Save(folder, _config, adapters, _model.TrainableWeights, _baseFolder!);
        else
            HfModelFolder.Save(folder, _config, _model.Layout, _model.Weights);
        CopyTokenizerFiles(folder);
        return Task.FromResult(folder);
    }

    private void CopyTokenizerFiles(string folder)
    {
        if (_tokenizerSource.Length == 0) return;
        var source = Directory.Exists(_tokenizerSource) ? _tokenizerSource : Path.GetDirectoryName(_tokenizerSource)!;
        foreach (var file in new[] { "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "generation_config.json" })
        {
            var from = Path.Combine(source, file);
            if (File.Exists(from)) AtomicFile.WriteAllText(Path.Combine(folder, file), File.ReadAllText(from));
        }
    }

    private string CheckpointFolder(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (name.Length == 0 || name.IndexOfAny(['/', '\\']) >= 0 || name is "." or "..")
            throw new DlmException($"checkpoint name '{name}' must be a plain file name");
        var folder = Path.Combine(_options.CheckpointRoot, name);
        try
        {
            Directory.CreateDirectory(folder);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new DlmException($"cannot create {folder}: {e.Message}", e);
        }
        return folder;
    }

    // Gives the engine buffers for sequences of seqLen tokens and micro-batches of the token budget;
    // the weights, adapters, gradients, moments and dropout state move to the new buffers unchanged.
    // The packing depends only on the budget, never on the buffer size, so results do not depend on
    // when the buffers grew.
    private void Resize(int seqLen)
    {
        int budget = Math.Max(_options.TokensPerMicroBatch, seqLen);
        bool fits = seqLen <= _model.MaxSeq && _model.MaxTokens >= budget;
        if (fits && _tokens.Length >= budget) return;
        if (!fits)
        {
            int maxSeq = _model.MaxSeq;
            while (maxSeq < seqLen) maxSeq *= 2;
            maxSeq = Math.Min(maxSeq, _config.ContextLength);
            int maxBatch = (budget + maxSeq - 1) / maxSeq;
            var old = _model;
            var next = new TransformerModel(_config, maxBatch, maxSeq, _lora, TrainingGemm.Default);
            old.Weights.CopyTo(next.Weights);
            if (_lora is not null) old.TrainableWeights.CopyTo(next.TrainableWeights);
            old.TrainableGradients.CopyTo(next.TrainableGradients);
            next.RngState = old.RngState;
            _model = next;
            if (_trainer is not null)
            {
                var t = new ModelTrainer(next, _trainer.Options, _rate, _trainer.ClipNorm);
                _trainer.M.CopyTo(t.M, 0);
                _trainer.V.CopyTo(t.V, 0);
                t.Step = _trainer.Step;
                _trainer = t;
            }
        }
        _tokens = new int[_model.MaxTokens];
        _targets = new int[_model.MaxTokens];
        _weights = new float[_model.MaxTokens];
    }
}
