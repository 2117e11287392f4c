using Dlm.Core;
using Dlm.Numerics.Kernels;
using Dlm.Numerics.Threading;

namespace Dlm.Models.Generation;

/// <summary>
/// The Tinker-shaped sampling client (REFERENCE.md R3) over local weights: <see cref="SampleAsync"/>
/// draws samples of a prompt, batched in one decode loop; <see cref="ComputeLogprobsAsync"/> scores
/// a prompt token by token. Built over a model folder, a base plus a PEFT adapter folder (merged or
/// applied unmerged), or the weights of a model in training. Calls are served one at a time; the
/// KV cache of the last call is kept and reused while it is large enough.
/// </summary>
public sealed class SamplingClient : IDisposable
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly WorkerPool? _pool;
    private InferenceSession? _session;

    /// <summary>A client over <paramref name="model"/>; <paramref name="decoder"/> (the tokenizer's decode) enables stop strings.</summary>
    public SamplingClient(InferenceModel model, TokenTextDecoder? decoder = null, WorkerPool? pool = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        Model = model;
        Decoder = decoder;
        _pool = pool;
    }

    /// <summary>Loads a Hugging Face model folder, optionally with a PEFT adapter folder (unmerged unless <paramref name="mergeAdapter"/>).</summary>
    public static SamplingClient Load(string modelFolder, string? adapterFolder = null, bool mergeAdapter = false,
        WeightFormat format = WeightFormat.F32, TokenTextDecoder? decoder = null) =>
        new(InferenceModel.Load(modelFolder, format, adapterFolder, mergeAdapter), decoder);

    /// <summary>The weights sampled from.</summary>
    public InferenceModel Model { get; }

    /// <summary>The text decoder used for stop strings, if any.</summary>
    public TokenTextDecoder? Decoder { get; }

    /// <summary>
    /// Draws <paramref name="numSamples"/> continuations of <paramref name="prompt"/>. The samples
    /// decode together; with a seed the result is the same on any thread count.
    /// </summary>
    public async Task<SampleResponse> SampleAsync(IReadOnlyList<int> prompt, int numSamples, SamplingParams parameters,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        ArgumentNullException.ThrowIfNull(parameters);
        var tokens = prompt.ToArray();
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return await Task.Run(() => Sample(tokens, numSamples, parameters), cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>
    /// log p(prompt[i] | prompt[..i]) for every token of <paramref name="prompt"/>; the first entry
    /// is null (nothing precedes it), as in tinker.
    /// </summary>
    public async Task<float?[]> ComputeLogprobsAsync(IReadOnlyList<int> prompt, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        var tokens = prompt.ToArray();
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return await Task.Run(() => ComputeLogprobs(tokens), cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>
    /// <see cref="SampleAsync"/> on the calling thread, with <paramref name="onToken"/> seeing every
    /// token as it is drawn (for streaming). Not to be called concurrently with other calls.
    /// </summary>
    public SampleResponse Sample(IReadOnlyList<int> prompt, int numSamples, SamplingParams parameters, Action<GeneratedToken>? onToken = null)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        ArgumentNullException.ThrowIfNull(parameters);
        return Sample(prompt.ToArray(), numSamples, parameters, onToken);
    }

    private SampleResponse Sample(int[] prompt, int numSamples, SamplingParams parameters, Action<GeneratedToken>? onToken = null)
    {
        parameters.Validate();
        int context = Model.Config.ContextLength;
        if (prompt.Length >= context)
            throw new DlmException($"the prompt of {prompt.Length} tokens leaves no room in the model's context of {context} tokens");
        int capacity = (int)Math.Min(context, (long)prompt.Length + parameters.MaxTokens);
        var session = SessionFor(Math.Max(1, numSamples), capacity);
        return Generator.Sample(session, prompt, numSamples, parameters, Decoder, onToken);
    }

    private float?[] ComputeLogprobs(int[] prompt)
    {
        var result = new float?[prompt.Length];
        if (prompt.Length == 0) return result;
        if (prompt.Length > Model.Config.ContextLength)
            throw new DlmException($"the prompt of {prompt.Length} tokens exceeds the model's context of {Model.Config.ContextLength} tokens");
        var session = SessionFor(1, prompt.Length);
        session.Reset(0);
        var next = new float[prompt.Length];
        session.Prefill(0, prompt, new float[Model.Config.VocabSize], next);
        for (int i = 1; i < prompt.Length; i++) result[i] = next[i - 1];
        return result;
    }

    private InferenceSession SessionFor(int sequences, int capacity)
    {
        if (_session is { } s && s.Sequences >= sequences && s.Capacity >= capacity) return s;
        _session = null; // let the old cache go before the new one is allocated
        return _session = new InferenceSession(Model, sequences, capacity, _pool);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _gate.Dispose();
        _session = null;
    }
}
