namespace Dlm.Training.FromScratch;

/// <summary>The two training stages of the from-scratch pipeline (REFERENCE.md R1).</summary>
public enum StageKind
{
    /// <summary>Next-token prediction on the pretrain caches (every token trained).</summary>
    Pretrain,

    /// <summary>Supervised fine-tuning on the SFT caches (loss only on labelled tokens).</summary>
    Sft,
}

/// <summary>Names of <see cref="StageKind"/> as settings, folders and messages spell them.</summary>
public static class StageKinds
{
    /// <summary><c>pretrain</c> or <c>sft</c>.</summary>
    public static string Name(this StageKind kind) => kind == StageKind.Pretrain ? "pretrain" : "sft";
}
