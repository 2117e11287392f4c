using Dlm.Core;
using Dlm.Models.Config;
using Dlm.Models.IO;
using Dlm.Training.Client;

namespace Dlm.Training.FromScratch;

/// <summary>The model a stage trains: a preset shaped by the <c>model:</c> block, or a Hugging Face folder's config.</summary>
public static class ScratchModels
{
    /// <summary>
    /// The config for <paramref name="init"/> (<c>preset:NAME</c> or a folder) with the <c>model:</c> block
    /// applied: a preset takes every shape key and the tokenizer's vocabulary size; a folder keeps its shape
    /// (a shape key that differs from it is then an error) and takes only <c>model.dropout</c>.
    /// </summary>
    /// <exception cref="DlmException">Unknown preset, missing folder, a shape key on a folder, or an invalid shape.</exception>
    public static ModelConfig Resolve(string init, ScratchModelSettings m, int tokenizerVocab)
    {
        ArgumentNullException.ThrowIfNull(init);
        ArgumentNullException.ThrowIfNull(m);
        ModelConfig c;
        if (ModelPresets.IsPreset(init))
        {
            c = ModelPresets.Create(init, tokenizerVocab);
            int heads = m.Heads ?? c.Heads;
            c = c with
            {
                ContextLength = m.ContextLength ?? c.ContextLength,
                DModel = m.DModel ?? c.DModel,
                Layers = m.Layers ?? c.Layers,
                Heads = heads,
                KvHeads = m.Heads is null ? c.KvHeads : heads,
                DFf = m.DFf ?? c.DFf,
            };
        }
        else
        {
            if (!Directory.Exists(init)) throw new DlmException($"{init}: model folder not found (model.init: preset:NAME or a Hugging Face folder)");
            c = HfModelFolder.LoadConfig(init);
            // The model block shapes the pretrain preset; a folder (the SFT stage's start) must agree with it.
            var differ = new (string Key, int? Want, int Have)[]
            {
                ("model.context_length", m.ContextLength, c.ContextLength), ("model.d_model", m.DModel, c.DModel), ("model.layers", m.Layers, c.Layers),
                ("model.heads", m.Heads, c.Heads), ("model.d_ff", m.DFf, c.DFf),
            }.Where(k => k.Want is { } w && w != k.Have).Select(k => $"{k.Key}={k.Want} (the folder has {k.Have})").ToList();
            if (differ.Count > 0)
                throw new DlmException($"{init}: its config.json disagrees with the model block: {string.Join(", ", differ)}");
        }
        if (m.Dropout is { } d) c = c with { Dropout = d };
        try
        {
            return c.Validate();
        }
        catch (DlmException e)
        {
            throw new DlmException($"model {init}: {e.Message}");
        }
    }

    /// <summary>Parameters of a config.</summary>
    public static long Parameters(ModelConfig config) => new Dlm.Models.Transformer.ParameterLayout(config).Count;
}
