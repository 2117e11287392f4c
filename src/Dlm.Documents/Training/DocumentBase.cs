using Dlm.Chat;
using Dlm.Core;
using Dlm.Hub;
using Dlm.Models.Config;
using Dlm.Models.IO;
using Dlm.Tokenizers;

namespace Dlm.Documents.Training;

/// <summary>
/// A document's base model made ready to use: the <c>base_model</c> resolved (registry key,
/// <c>hf:org/name</c> or a local folder), its files on disk, its tokenizer, its config and the chat
/// renderer of its family (the registry's, else the one the tokenizer's chat template implies).
/// </summary>
/// <param name="Resolved">What the spec resolved to (revision pinned).</param>
/// <param name="Folder">The folder holding config.json, the weights and the tokenizer.</param>
/// <param name="Tokenizer">The base's tokenizer.</param>
/// <param name="Config">The base's model config.</param>
/// <param name="Renderer">The chat renderer rows and prompts use.</param>
public sealed record DocumentBase(ResolvedBase Resolved, string Folder, Tokenizer Tokenizer, ModelConfig Config, IRenderer Renderer)
{
    /// <summary>
    /// Resolves <paramref name="baseModel"/> (relative paths anchor on <paramref name="documentDir"/>);
    /// downloads it when it is not cached and <paramref name="download"/> is true, else returns null for
    /// a base not on disk yet. A gated base needs <paramref name="acceptLicense"/>.
    /// </summary>
    public static async Task<DocumentBase?> LoadAsync(string baseModel, string documentDir, HubOptions hub, bool acceptLicense, bool download,
        IProgress<DownloadProgress>? progress = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(baseModel);
        ArgumentNullException.ThrowIfNull(hub);
        // A relative folder anchors on the document's folder (its parent for DIR/.dlm/x.dlm), as sources
        // do, when it exists there; otherwise the current folder (the resolver's rule).
        var spec = baseModel;
        if ((spec.StartsWith("./", StringComparison.Ordinal) || spec.StartsWith("../", StringComparison.Ordinal))
            && Directory.Exists(Path.Combine(documentDir, spec)))
            spec = Path.GetFullPath(Path.Combine(documentDir, spec));
        var resolved = await new BaseModelResolver(hub).ResolveAsync(spec, acceptLicense, ct: ct).ConfigureAwait(false);
        var folder = resolved.LocalPath;
        if (folder is null)
        {
            if (!download) return null;
            using var downloader = new ModelDownloader(hub);
            folder = (await downloader.DownloadAsync(resolved.Repo!, resolved.Revision!, progress, ct).ConfigureAwait(false)).SnapshotDir;
        }
        var tokenizer = Dlm.Tokenizers.Tokenizer.FromPath(folder);
        var config = HfModelFolder.LoadConfig(folder);
        var rendererName = resolved.Renderer ?? (resolved.Repo is { } repo ? RendererRegistry.RecommendFor(repo) : null) ?? RendererRegistry.RecommendFor(tokenizer);
        IRenderer renderer;
        try
        {
            renderer = RendererRegistry.Create(rendererName, tokenizer);
        }
        catch (DlmException e)
        {
            throw new DlmException($"{baseModel}: {e.Message}", e);
        }
        return new DocumentBase(resolved, folder, tokenizer, config, renderer);
    }

    /// <summary>The LoRA targets of a document: its list, or the base's defaults for <c>auto</c>.</summary>
    public IReadOnlyList<string> TargetModules(IReadOnlyList<string>? fromDocument) => fromDocument ?? Resolved.LoraTargetModules;
}
