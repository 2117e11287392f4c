namespace Dlm.Hub;

/// <summary>One pretrained base in the registry (shared/REFERENCE.md R2 "Base registry").</summary>
/// <param name="Key">The short name a document's <c>base_model</c> uses, e.g. <c>smollm2-135m</c>.</param>
/// <param name="Repo">The Hugging Face repository, <c>org/name</c>.</param>
/// <param name="Revision">The pinned 40-character commit.</param>
/// <param name="Renderer">The chat renderer's name as Dlm.Chat's RendererRegistry knows it.</param>
/// <param name="ContextLength">The model's context length in tokens.</param>
/// <param name="License">The licence identifier.</param>
/// <param name="Gated">Whether the hub requires accepting the licence (and a token) to download.</param>
public sealed record BaseModelEntry(
    string Key, string Repo, string Revision, string Renderer, int ContextLength, string License, bool Gated)
{
    /// <summary>The LoRA target modules used when a document says <c>auto</c>: the attention projections.</summary>
    public IReadOnlyList<string> LoraTargetModules { get; } = BaseRegistry.AttentionProjections;
}
