namespace Dlm.Models.Generation;

/// <summary>Why a sample ended (tinker <c>stop_reason</c>).</summary>
public enum StopReason
{
    /// <summary><c>length</c>: max_tokens were produced, or the sequence filled the context.</summary>
    Length,
    /// <summary><c>stop</c>: a stop token or stop string was produced.</summary>
    Stop,
}

/// <summary>The wire names of <see cref="StopReason"/>.</summary>
public static class StopReasons
{
    /// <summary><c>length</c> or <c>stop</c>.</summary>
    public static string Name(this StopReason reason) => reason == StopReason.Stop ? "stop" : "length";
}
