using Dlm.Data.Caches;
using Dlm.Data.Settings;

namespace Dlm.Data.Build;

/// <summary>Everything a builder needs to build one source's cache.</summary>
/// <param name="Source">The source.</param>
/// <param name="Settings">All settings (seed, shard size, renderer, ...).</param>
/// <param name="Tokenizer">The tokenizer.</param>
/// <param name="OutputDir">The cache folder to produce (<c>&lt;root&gt;/&lt;source&gt;</c>).</param>
/// <param name="Threads">Threads to tokenize on.</param>
/// <param name="Progress">Where to report progress.</param>
/// <param name="Cancellation">Stops the build.</param>
public sealed record SourceBuildRequest(SourceSettings Source, DataSettings Settings, CacheTokenizer Tokenizer, string OutputDir,
    int Threads, IBuildProgress Progress, CancellationToken Cancellation)
{
    /// <summary>Where a builder that supports it charges the CPU time of each stage (null: not profiled, no clocks read).</summary>
    public BuildProfile? Profile { get; init; }
}

/// <summary>
/// Builds one source's cache folder. Injected into <see cref="BuildAll"/> so tests can replace the
/// real builders (the seed's acceptance tests replace the primer builder).
/// </summary>
public interface ISourceCacheBuilder
{
    /// <summary>Builds <see cref="SourceBuildRequest.OutputDir"/>; throws a <see cref="Core.DlmException"/> on a user error.</summary>
    SourceBuildResult Build(SourceBuildRequest request);
}

/// <summary>The builders <see cref="BuildAll"/> uses: pretrain sources, SFT sources, and the primer.</summary>
/// <param name="Pretrain">Builds document sources.</param>
/// <param name="Sft">Builds conversation sources other than the primer.</param>
/// <param name="Primer">Builds the primer.</param>
public sealed record CacheBuilders(ISourceCacheBuilder Pretrain, ISourceCacheBuilder Sft, ISourceCacheBuilder Primer)
{
    /// <summary>The real builders.</summary>
    public static CacheBuilders Default { get; } = new(new PretrainCacheBuilder(), new SftCacheBuilder(), new SftCacheBuilder());
}
