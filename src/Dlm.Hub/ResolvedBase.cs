namespace Dlm.Hub;

/// <summary>Where a base model spec points.</summary>
public enum BaseModelKind
{
    /// <summary>A key of <see cref="BaseRegistry"/>.</summary>
    Registry,
    /// <summary>An off-registry <c>hf:org/name</c>, its revision resolved and pinned.</summary>
    HuggingFace,
    /// <summary>A folder on disk holding config.json and weights.</summary>
    LocalPath,
}

/// <summary>
/// A base model spec resolved: what to download (or load) and what the caller records in the store
/// manifest (<see cref="Revision"/> pinned, <see cref="LicenseAccepted"/> for a gated model).
/// </summary>
/// <param name="Kind">Registry key, hf: id or local folder.</param>
/// <param name="Spec">The spec as the user wrote it.</param>
/// <param name="Key">The registry key, or null off the registry.</param>
/// <param name="Repo">The hub repository <c>org/name</c>; null for a local folder.</param>
/// <param name="Revision">The pinned 40-character commit; null for a local folder.</param>
/// <param name="Renderer">The renderer name from the registry; null off the registry (the caller asks Dlm.Chat).</param>
/// <param name="ContextLength">Context length in tokens, from the registry or the cached config.json; null when unknown.</param>
/// <param name="License">The licence, from the registry or the hub's model card; null when unknown.</param>
/// <param name="Gated">Whether the hub gates downloads behind a licence.</param>
/// <param name="LicenseAccepted">True when the model is gated and the user accepted its licence (record this).</param>
/// <param name="LocalPath">The folder holding the files: the cached snapshot when complete, the folder itself for a local base; null when not downloaded yet.</param>
/// <param name="LoraTargetModules">The LoRA targets <c>auto</c> means for this base.</param>
public sealed record ResolvedBase(
    BaseModelKind Kind, string Spec, string? Key, string? Repo, string? Revision, string? Renderer,
    int? ContextLength, string? License, bool Gated, bool LicenseAccepted, string? LocalPath,
    IReadOnlyList<string> LoraTargetModules);
