using Dlm.Data.Sources;

namespace Dlm.Data.Build;

/// <summary>What a build tells its user while it runs (the CLI draws bars on a terminal, plain lines otherwise).</summary>
public interface IBuildProgress
{
    /// <summary>The resolved plan, before anything is built.</summary>
    void Plan(CacheBuildPlan plan);

    /// <summary>A line of information (<c>already exists, skipping</c>, a malformed record, a failure).</summary>
    void Info(string line);

    /// <summary>A source starts building; <paramref name="read"/> reports bytes consumed of <see cref="SourceReadContext.TotalBytes"/>.</summary>
    void SourceStarted(string source, SourceReadContext read);

    /// <summary>Records and tokens done so far for a source.</summary>
    void SourceProgress(string source, long records, long tokens);

    /// <summary>A source is done (built, skipped or failed).</summary>
    void SourceFinished(SourceBuildResult result);
}

/// <summary>A progress sink that shows nothing.</summary>
public sealed class SilentProgress : IBuildProgress
{
    /// <summary>The one instance.</summary>
    public static SilentProgress Instance { get; } = new();

    /// <inheritdoc/>
    public void Plan(CacheBuildPlan plan) { }

    /// <inheritdoc/>
    public void Info(string line) { }

    /// <inheritdoc/>
    public void SourceStarted(string source, SourceReadContext read) { }

    /// <inheritdoc/>
    public void SourceProgress(string source, long records, long tokens) { }

    /// <inheritdoc/>
    public void SourceFinished(SourceBuildResult result) { }
}
