using Dlm.Chat;
using Dlm.Core;
using Dlm.Core.Config;
using Dlm.Tokenizers;

namespace Dlm.Training.Datasets;

/// <summary>The settings every chat dataset builder shares (tinker-cookbook <c>ChatDatasetBuilderCommonConfig</c>).</summary>
public sealed class ChatDatasetBuilderCommonConfig
{
    /// <summary>Tokenizer to render with (a folder with tokenizer.json); None: the trained model's.</summary>
    [ConfigDoc("Tokenizer folder to render with; None: the model's")]
    public string? ModelNameForTokenizer { get; set; }

    /// <summary>Renderer name; None: the one the model calls for (a base model gets role_colon).</summary>
    [ConfigDoc("Renderer; None: follows the model (a base model gets role_colon)")]
    public string? RendererName { get; set; }

    /// <summary>Longest example in tokens (longer ones are cut from the end); None: no limit.</summary>
    [ConfigDoc("Cut longer examples to this many tokens")]
    public int? MaxLength { get; set; } = 32768;

    /// <summary>Conversations per batch (one optimizer step).</summary>
    [ConfigDoc("Conversations per step")]
    public int BatchSize { get; set; } = 128;

    /// <summary>Which tokens carry loss; None: all_assistant_messages.</summary>
    [ConfigDoc("Tokens that carry loss; None: all_assistant_messages")]
    public TrainOnWhat? TrainOnWhat { get; set; }
}

/// <summary>What a builder needs from the run: the tokenizer of the model being trained and the model's name.</summary>
/// <param name="ModelName">The model (folder or preset), for choosing a renderer.</param>
/// <param name="Tokenizer">The model's tokenizer, used unless the common config names another.</param>
public sealed record DatasetContext(string ModelName, ITokenizer Tokenizer);

/// <summary>A dataset builder a config names by type (tinker-cookbook <c>ChatDatasetBuilder</c>).</summary>
[ConfigVariants(typeof(NoRobotsBuilder), typeof(FromConversationFileBuilder))]
public abstract class ChatDatasetBuilder
{
    /// <summary>Shared settings.</summary>
    public ChatDatasetBuilderCommonConfig CommonConfig { get; set; } = new();

    /// <summary>Builds the train and test sets.</summary>
    public abstract DatasetPair Build(DatasetContext context);

    /// <summary>The tokenizer and renderer the common config resolves to.</summary>
    public (ITokenizer Tokenizer, IRenderer Renderer) Resolve(DatasetContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var c = CommonConfig;
        var tokenizer = c.ModelNameForTokenizer is { } t ? Tokenizer.FromPath(t) : context.Tokenizer;
        var name = c.RendererName ?? RendererRegistry.RecommendFor(c.ModelNameForTokenizer ?? context.ModelName, tokenizer);
        return (tokenizer, RendererRegistry.Create(name, tokenizer));
    }

    /// <summary>The train_on_what in force.</summary>
    protected TrainOnWhat TrainOnWhatOrDefault => CommonConfig.TrainOnWhat ?? TrainOnWhat.AllAssistantMessages;

    /// <summary>The renderer name the common config resolves to.</summary>
    public string RendererNameFor(DatasetContext context) => CommonConfig.RendererName
        ?? RendererRegistry.RecommendFor(CommonConfig.ModelNameForTokenizer ?? context?.ModelName, Resolve(context!).Tokenizer);
}
