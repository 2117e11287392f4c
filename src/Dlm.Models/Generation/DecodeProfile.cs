using System.Diagnostics;

namespace Dlm.Models.Generation;

/// <summary>
/// Where the time of decode steps goes: wall time per phase of the forward pass, summed over the
/// steps an <see cref="InferenceSession"/> runs while <see cref="InferenceSession.Profile"/> is set.
/// Each phase is timed on the calling thread around its whole parallel region, so the parts add up
/// to the step.
/// </summary>
public sealed class DecodeProfile
{
    /// <summary>The phases, in the order a layer runs them.</summary>
    public enum Phase
    {
        /// <summary>Embedding rows of the step's tokens.</summary>
        Embed,
        /// <summary>The two norms of every layer and the final norm.</summary>
        Norm,
        /// <summary>The fused query/key/value projection.</summary>
        Qkv,
        /// <summary>RoPE on queries and keys, and the keys and values written to the cache, where they run on their own
        /// (one sequence); a step planned by KV group does them inside its attention units, so they count as <see cref="Attention"/>.</summary>
        RopeCache,
        /// <summary>Scores against the cache, softmax and p·V (and, in a step planned by KV group, RoPE and the cache writes).</summary>
        Attention,
        /// <summary>The attention output projection.</summary>
        Out,
        /// <summary>The residual additions.</summary>
        Residual,
        /// <summary>The fused gate/up (or GPT-2 fc) projection.</summary>
        Fc,
        /// <summary>SwiGLU or GELU.</summary>
        Activation,
        /// <summary>The MLP down projection.</summary>
        Proj,
        /// <summary>The LM head.</summary>
        Head,
    }

    private readonly long[] _ticks = new long[Enum.GetValues<Phase>().Length];
    private long _last;

    /// <summary>Steps recorded.</summary>
    public int Steps { get; private set; }

    internal void Start() => _last = Stopwatch.GetTimestamp();

    internal void Mark(Phase phase)
    {
        long now = Stopwatch.GetTimestamp();
        _ticks[(int)phase] += now - _last;
        _last = now;
    }

    internal void EndStep() => Steps++;

    /// <summary>Milliseconds per step for every phase (snake_case names), and <c>total</c>.</summary>
    public IReadOnlyDictionary<string, double> MillisecondsPerStep()
    {
        var d = new Dictionary<string, double>();
        double total = 0;
        foreach (var p in Enum.GetValues<Phase>())
        {
            double ms = Steps == 0 ? 0 : _ticks[(int)p] * 1000.0 / Stopwatch.Frequency / Steps;
            total += ms;
            d[Name(p)] = Math.Round(ms, 3);
        }
        d["total"] = Math.Round(total, 3);
        return d;
    }

    private static string Name(Phase p) => p switch
    {
        Phase.RopeCache => "rope_cache",
        _ => p.ToString().ToLowerInvariant(),
    };
}
