using Dlm.Tokenizers;

namespace Dlm.Chat.Renderers;

/// <summary>
/// <c>qwen3_instruct</c>: Qwen3 instruct 2507 models, which never use <c>&lt;think&gt;</c>: the
/// <see cref="Qwen3Renderer"/> layout with the reasoning logic switched off.
/// </summary>
public sealed class Qwen3InstructRenderer(ITokenizer tokenizer) : Qwen3Renderer(tokenizer)
{
    /// <inheritdoc/>
    public override string Name => "qwen3_instruct";

    /// <inheritdoc/>
    protected override bool UsesThinking => false;
}
