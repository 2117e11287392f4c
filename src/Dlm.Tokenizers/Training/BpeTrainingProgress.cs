namespace Dlm.Tokenizers.Training;

/// <summary>The stage a <see cref="BpeTrainer"/> is in.</summary>
public enum BpeTrainingPhase
{
    /// <summary>Reading input and counting pre-tokens; <see cref="BpeTrainingProgress.Done"/> counts bytes read.</summary>
    CountingWords,

    /// <summary>Learning merges; <see cref="BpeTrainingProgress.Done"/> counts vocabulary entries.</summary>
    Merging,
}

/// <summary>A progress report: <paramref name="Done"/> of <paramref name="Total"/> units of <paramref name="Phase"/>.</summary>
/// <param name="Phase">The stage.</param>
/// <param name="Done">Units done (bytes or vocabulary entries).</param>
/// <param name="Total">Units expected; the merge phase may end below it when the corpus runs out of pairs.</param>
public readonly record struct BpeTrainingProgress(BpeTrainingPhase Phase, long Done, long Total);
