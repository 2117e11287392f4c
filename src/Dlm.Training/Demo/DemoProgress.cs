namespace Dlm.Training.Demo;

/// <summary>The stages of <c>dlm demo</c>, in the order they run.</summary>
public enum DemoStage
{
    /// <summary>The Brown corpus: a folder given, the cache, or fetched with npm.</summary>
    Corpus,

    /// <summary>The 8k byte-level BPE tokenizer with niels-gpt's special tokens.</summary>
    Tokenizer,

    /// <summary>The data and training settings file.</summary>
    Settings,

    /// <summary>The pretrain and SFT token caches (<c>build-all</c>).</summary>
    Caches,

    /// <summary>Pretraining on Brown.</summary>
    Pretrain,

    /// <summary>Fine-tuning on the primer dialogues.</summary>
    Sft,

    /// <summary>A few sampled replies of the fine-tuned model.</summary>
    Samples,
}

/// <summary>What <c>dlm demo</c> tells its user while it runs: the CLI draws bars on a terminal, plain lines otherwise.</summary>
public interface IDemoProgress
{
    /// <summary>A stage whose output is already complete and is used as it is.</summary>
    void Reused(DemoStage stage, string detail);

    /// <summary>Runs the work of <paramref name="stage"/>, showing its progress (one bar or plain lines).</summary>
    T Run<T>(DemoStage stage, string title, Func<IStageProgress, T> work);

    /// <summary>A stage finished its work (not reused): one line saying what it made.</summary>
    void Done(DemoStage stage, string detail);
}

/// <summary>Progress inside one stage.</summary>
public interface IStageProgress
{
    /// <summary>
    /// <paramref name="done"/> of <paramref name="total"/> (any unit) for <paramref name="stage"/> (the
    /// stage of the run, or a later one that the same work reaches: the pipeline runs pretrain then SFT),
    /// with a short status (loss, rate, ETA).
    /// </summary>
    void Report(DemoStage stage, double done, double total, string status);

    /// <summary>A line of information that stays on screen.</summary>
    void Line(string text);
}

/// <summary>Progress that shows nothing (library callers and tests).</summary>
public sealed class SilentDemoProgress : IDemoProgress, IStageProgress
{
    /// <summary>The one instance.</summary>
    public static SilentDemoProgress Instance { get; } = new();

    /// <inheritdoc/>
    public void Reused(DemoStage stage, string detail) { }

    /// <inheritdoc/>
    public T Run<T>(DemoStage stage, string title, Func<IStageProgress, T> work)
    {
        ArgumentNullException.ThrowIfNull(work);
        return work(this);
    }

    /// <inheritdoc/>
    public void Done(DemoStage stage, string detail) { }

    /// <inheritdoc/>
    public void Report(DemoStage stage, double done, double total, string status) { }

    /// <inheritdoc/>
    public void Line(string text) { }
}
