namespace Dlm.Training.Demo;

/// <summary>
/// How <c>--minutes</c> is split: 70% pretraining, 20% fine-tuning, and the rest left for the
/// corpus, tokenizer, caches and samples (about half a minute on Brown). The split depends on the
/// budget alone, never on time already spent, so a rerun after Ctrl-C asks each stage for the same
/// training time it was given at first (the stages count their time over resumes).
/// </summary>
/// <param name="PretrainMinutes">Training time of the pretrain stage.</param>
/// <param name="SftMinutes">Training time of the SFT stage.</param>
public sealed record DemoBudget(double PretrainMinutes, double SftMinutes)
{
    /// <summary>The share of the budget given to pretraining.</summary>
    public const double PretrainShare = 0.7;

    /// <summary>The share of the budget given to SFT.</summary>
    public const double SftShare = 0.2;

    /// <summary>The split of <paramref name="minutes"/>.</summary>
    public static DemoBudget Of(double minutes) => new(minutes * PretrainShare, minutes * SftShare);
}
