namespace Dlm.Models.Optim;

/// <summary>How the learning rate falls after warmup.</summary>
public enum DecayShape
{
    /// <summary>Stays at the peak learning rate.</summary>
    Constant,
    /// <summary>Falls linearly from the peak to the minimum at the last step.</summary>
    Linear,
    /// <summary>Falls along a half cosine from the peak to the minimum.</summary>
    Cosine,
}
