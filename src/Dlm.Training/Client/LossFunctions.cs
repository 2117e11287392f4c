using Dlm.Core;

namespace Dlm.Training.Client;

/// <summary>The loss functions a training client accepts by name.</summary>
public static class LossFunctions
{
    /// <summary><c>cross_entropy</c>: loss = −Σ w·logp(target), a token sum; inputs <c>target_tokens</c> and <c>weights</c>.</summary>
    public const string CrossEntropy = "cross_entropy";

    // Tinker's other losses; named so the refusal says what is not here yet rather than "unknown".
    private static readonly string[] NotImplemented = ["importance_sampling", "ppo", "cispo"];

    /// <summary>Throws a <see cref="DlmException"/> for any name but <see cref="CrossEntropy"/>.</summary>
    public static void Require(string lossFn)
    {
        ArgumentNullException.ThrowIfNull(lossFn);
        if (lossFn == CrossEntropy) return;
        if (NotImplemented.Contains(lossFn))
            throw new DlmException($"loss function '{lossFn}' is not implemented by the local backend; it supports {CrossEntropy}");
        throw new DlmException($"unknown loss function '{lossFn}': the local backend supports {CrossEntropy}");
    }
}
