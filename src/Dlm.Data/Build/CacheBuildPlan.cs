using Dlm.Data.Settings;

namespace Dlm.Data.Build;

/// <summary>
/// What <c>build-all</c> will build (R1): the pretrain sources that are keys of <c>mix_pretrain</c>,
/// the SFT sources that are keys of <c>mix_sft</c> plus the primer (always), and the two roots.
/// </summary>
/// <param name="PretrainRoot">The pretrain cache root.</param>
/// <param name="SftRoot">The SFT cache root.</param>
/// <param name="PretrainSources">Pretrain sources, in mix order.</param>
/// <param name="SftSources">SFT sources, in mix order, the primer included.</param>
public sealed record CacheBuildPlan(string PretrainRoot, string SftRoot, IReadOnlyList<SourceSettings> PretrainSources, IReadOnlyList<SourceSettings> SftSources)
{
    /// <summary>The plan of <paramref name="settings"/>.</summary>
    public static CacheBuildPlan For(DataSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var pretrain = settings.MixPretrain.Sources.Select(n => settings.Sources[n]).ToList();
        var sft = settings.MixSft.Sources.Select(n => settings.Sources[n]).ToList();
        if (!sft.Any(s => s.Name == "primer")) sft.Insert(0, settings.Sources["primer"]);
        return new CacheBuildPlan(settings.PretrainRoot, settings.SftRoot, pretrain, sft);
    }

    /// <summary>The cache folder of a pretrain source.</summary>
    public string PretrainDir(string source) => Path.Combine(PretrainRoot, source);

    /// <summary>The cache folder of an SFT source.</summary>
    public string SftDir(string source) => Path.Combine(SftRoot, source);

    /// <summary>The paths the final validation requires: for each source <c>meta.json</c>, <c>train</c> and <c>val</c>.</summary>
    public IEnumerable<string> RequiredPaths()
    {
        foreach (var dir in PretrainSources.Select(s => PretrainDir(s.Name)).Concat(SftSources.Select(s => SftDir(s.Name))))
        {
            yield return Path.Combine(dir, "meta.json");
            yield return Path.Combine(dir, "train");
            yield return Path.Combine(dir, "val");
        }
    }
}
