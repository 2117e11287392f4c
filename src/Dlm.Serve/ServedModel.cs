using Dlm.Chat;
using Dlm.Core;
using Dlm.Models.Generation;
using Dlm.Numerics.Kernels;
using Dlm.Tokenizers;

namespace Dlm.Serve;

/// <summary>What the server serves: the weights, the tokenizer, the chat renderer and the model's id.</summary>
/// <param name="Id">The id clients name in <c>model</c>.</param>
/// <param name="Model">The inference weights.</param>
/// <param name="Tokenizer">The tokenizer.</param>
/// <param name="Renderer">The chat renderer.</param>
public sealed record ServedModel(string Id, InferenceModel Model, Tokenizer Tokenizer, IRenderer Renderer)
{
    /// <summary>
    /// Loads a Hugging Face model folder (with its tokenizer.json) and an optional PEFT adapter;
    /// the renderer is <paramref name="renderer"/> or the one the tokenizer's chat template implies.
    /// </summary>
    public static ServedModel Load(string folder, string? adapter = null, bool mergeAdapter = false, WeightFormat format = WeightFormat.F32,
        string? renderer = null, string? id = null, string? tokenizerPath = null)
    {
        ArgumentNullException.ThrowIfNull(folder);
        if (!Directory.Exists(folder)) throw new DlmException($"{folder}: model folder not found");
        var tokenizer = Tokenizer.FromPath(tokenizerPath ?? folder);
        var model = InferenceModel.Load(folder, format, adapter, mergeAdapter);
        if (tokenizer.VocabSize > model.Config.VocabSize)
            throw new DlmException($"the tokenizer has {tokenizer.VocabSize} ids but the model only {model.Config.VocabSize}");
        var r = RendererRegistry.Create(renderer ?? RendererRegistry.RecommendFor(tokenizer), tokenizer);
        return new ServedModel(id ?? Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(folder))), model, tokenizer, r);
    }
}
