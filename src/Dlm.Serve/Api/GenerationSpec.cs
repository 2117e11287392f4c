using Dlm.Models.Generation;

namespace Dlm.Serve.Api;

/// <summary>A validated completion request, chat or plain, ready for the engine.</summary>
internal sealed record GenerationSpec
{
    /// <summary>True for <c>/v1/chat/completions</c>, false for <c>/v1/completions</c>.</summary>
    public required bool Chat { get; init; }

    /// <summary>The prompt's tokens (rendered conversation or encoded text).</summary>
    public required int[] Prompt { get; init; }

    /// <summary>Choices to generate.</summary>
    public required int N { get; init; }

    /// <summary>Sampling, stops included (the renderer's end-of-turn and the user's <c>stop</c>).</summary>
    public required SamplingParams Params { get; init; }

    /// <summary>The stops the user asked for (cut from the text and reported as <c>stop</c>).</summary>
    public required IReadOnlyList<string> StopStrings { get; init; }

    /// <summary>Stream as server-sent events.</summary>
    public bool Stream { get; init; }

    /// <summary>Send a final usage chunk when streaming (<c>stream_options.include_usage</c>).</summary>
    public bool IncludeUsage { get; init; }

    /// <summary>Return per-token logprobs.</summary>
    public bool Logprobs { get; init; }

    /// <summary>Alternatives per token in the logprobs (0..20).</summary>
    public int TopLogprobs { get; init; }

    /// <summary>Return the prompt's and the choices' token ids (vLLM's <c>return_token_ids</c>; the page uses them for attention).</summary>
    public bool ReturnTokenIds { get; init; }
}
