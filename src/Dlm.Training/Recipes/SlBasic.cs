using Dlm.Chat;
using Dlm.Training.Datasets;
using Dlm.Training.Supervised;

namespace Dlm.Training.Recipes;

/// <summary>
/// tinker-cookbook <c>recipes/sl_basic.py</c> (shared/REFERENCE.md R3): supervised fine-tuning on
/// no_robots with learning rate 2e-4 (linear decay), one epoch, batches of 128, max_length 32768,
/// all assistant messages trained, an eval every 8 steps and a checkpoint every 20, LoRA rank 32,
/// logs in <c>&lt;temp&gt;/tinker-examples/sl_basic</c>, asking before touching an existing log dir.
/// Upstream's model is a base Llama (rendered with <c>role_colon</c>); here it must be on disk:
/// <c>meta-llama/Llama-3.2-1B</c> from the local Hugging Face cache, or any folder via <c>model_name=DIR</c>.
/// The renderer follows the model unless <c>dataset_builder.common_config.renderer_name</c> is set.
/// </summary>
public static class SlBasic
{
    /// <summary>The base model the recipe names by default (looked up in the local Hugging Face cache).</summary>
    public const string DefaultModel = "meta-llama/Llama-3.2-1B";

    /// <summary>The recipe.</summary>
    public static Recipe Recipe { get; } = new("sl-basic", "Supervised fine-tuning on no_robots (tinker-cookbook sl_basic)", Defaults);

    /// <summary>The sl_basic defaults.</summary>
    public static SupervisedConfig Defaults()
    {
        var builder = new NoRobotsBuilder();
        builder.CommonConfig.MaxLength = 32768;
        builder.CommonConfig.BatchSize = 128;
        builder.CommonConfig.TrainOnWhat = TrainOnWhat.AllAssistantMessages;
        return new SupervisedConfig
        {
            LogPath = Path.Combine(Path.GetTempPath(), "tinker-examples", "sl_basic"),
            ModelName = DefaultModel,
            DatasetBuilder = builder,
            LearningRate = 2e-4,
            LrSchedule = LrSchedule.Linear,
            NumEpochs = 1,
            EvalEvery = 8,
            SaveEvery = 20,
            BehaviorIfLogDirExists = LogDirBehavior.Ask,
        };
    }
}
