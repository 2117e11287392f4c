using Dlm.Chat;
using Dlm.Data.Settings;

namespace Dlm.Data.Build;

/// <summary>
/// The options that decide a cache's content, stored as meta.json's <c>source_options</c>: a cache
/// whose stored options differ from the settings' is rebuilt.
/// </summary>
public static class SourceFingerprint
{
    /// <summary>The <c>source_options</c> object of a source under these settings.</summary>
    public static IReadOnlyDictionary<string, object?> Of(SourceSettings source, DataSettings settings)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(settings);
        var o = source.Options;
        var d = new Dictionary<string, object?>
        {
            ["kind"] = source.Kind.ToName(),
            ["path"] = source.Path,
            ["seed"] = settings.Seed,
            ["shard_bytes"] = settings.ShardBytes,
            ["val_path"] = o.ValPath,
            ["val_frac"] = o.ValFrac,
            ["dataset_name"] = o.DatasetName,
            ["dataset_config"] = o.DatasetConfig,
        };
        if (source.Kind.IsSft())
        {
            d["renderer"] = settings.Renderer;
            d["train_on_what"] = settings.TrainOnWhat.ToValue();
            d["sft_max_tokens"] = settings.SftMaxTokens;
            d["sft_val_frac"] = settings.SftValFrac;
            if (source.Kind == SourceKind.Oasst1) { d["lang"] = o.Lang; d["max_messages"] = o.MaxMessages; }
        }
        else
        {
            d["val_tokens"] = o.ValTokens;
            d["train_tokens"] = o.TrainTokens;
            d["shuffle_buffer"] = o.ShuffleBuffer;
            d["glob"] = o.Glob;
            d["text_field"] = o.TextField;
            d["unit"] = o.Unit;
        }
        return d;
    }
}
