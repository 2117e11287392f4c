namespace Dlm.Models.Lora;

/// <summary>LoRA settings, as PEFT names them: y = W·x + (alpha / r)·B·A·dropout(x).</summary>
/// <param name="Rank">r, the adapter rank.</param>
/// <param name="Alpha">alpha; the update is scaled by alpha / r.</param>
/// <param name="Dropout">Dropout on the adapter input during training.</param>
/// <param name="TargetModules">Module names (last name part), e.g. q_proj, v_proj, down_proj, c_attn.</param>
public sealed record LoraConfig(int Rank, float Alpha, float Dropout, IReadOnlyList<string> TargetModules)
{
    /// <summary>alpha / r.</summary>
    public float Scale => Alpha / Rank;
}
