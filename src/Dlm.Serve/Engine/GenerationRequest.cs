using System.Threading.Channels;
using Dlm.Models.Generation;

namespace Dlm.Serve.Engine;

/// <summary>One of the most likely tokens at a step, with its log-probability.</summary>
/// <param name="Token">The token id.</param>
/// <param name="Logprob">log softmax of the raw logits at it.</param>
public readonly record struct TokenLogprob(int Token, float Logprob);

/// <summary>What the engine reports about a request, in order, on its <see cref="GenerationRequest.Events"/>.</summary>
public abstract record GenerationEvent;

/// <summary>Sample <paramref name="Sample"/> produced <paramref name="Token"/>.</summary>
/// <param name="Sample">Index of the sample (0 .. n−1).</param>
/// <param name="Token">The token id.</param>
/// <param name="Logprob">log p(token | everything before it) under the raw logits.</param>
/// <param name="Top">The most likely tokens at this step (empty unless asked for).</param>
public sealed record TokenEvent(int Sample, int Token, float Logprob, IReadOnlyList<TokenLogprob> Top) : GenerationEvent;

/// <summary>Sample <paramref name="Sample"/> ended.</summary>
/// <param name="Sample">Index of the sample.</param>
/// <param name="Reason">Stop token or string (<c>stop</c>), or max_tokens / the context (<c>length</c>).</param>
/// <param name="Tokens">How many tokens it produced.</param>
public sealed record FinishEvent(int Sample, StopReason Reason, int Tokens) : GenerationEvent;

/// <summary>
/// A generation the <see cref="ContinuousBatcher"/> serves: a prompt, how many samples, how to
/// sample. The engine writes <see cref="TokenEvent"/>s and one <see cref="FinishEvent"/> per sample
/// to <see cref="Events"/> and completes it (with the exception when the request failed).
/// Cancelling <see cref="Cancellation"/> (a client that went away) frees its slots before the next step.
/// </summary>
public sealed class GenerationRequest
{
    private readonly Channel<GenerationEvent> _events = Channel.CreateUnbounded<GenerationEvent>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });

    /// <summary>A request for <paramref name="samples"/> samples of <paramref name="prompt"/>.</summary>
    public GenerationRequest(int[] prompt, int samples, SamplingParams parameters, int topLogprobs = 0, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        ArgumentNullException.ThrowIfNull(parameters);
        Prompt = prompt;
        Samples = samples;
        Params = parameters;
        TopLogprobs = topLogprobs;
        Cancellation = cancellation;
    }

    /// <summary>The prompt's token ids.</summary>
    public int[] Prompt { get; }

    /// <summary>Samples drawn from the prompt (each takes a slot).</summary>
    public int Samples { get; }

    /// <summary>How to sample (max_tokens, stops, seed, ...).</summary>
    public SamplingParams Params { get; }

    /// <summary>How many most-likely alternatives to report per token (0: none).</summary>
    public int TopLogprobs { get; }

    /// <summary>Cancelled when the client is gone.</summary>
    public CancellationToken Cancellation { get; }

    /// <summary>The events, in order; completes when every sample has finished (or faults with the error).</summary>
    public ChannelReader<GenerationEvent> Events => _events.Reader;

    internal ChannelWriter<GenerationEvent> Writer => _events.Writer;
}
