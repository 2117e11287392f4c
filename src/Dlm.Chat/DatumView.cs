using System.Text;
using Dlm.Tokenizers;

namespace Dlm.Chat;

/// <summary>
/// Shows which tokens of an example are trained (tinker-cookbook <c>format_colorized</c>): runs of
/// trained tokens in green, untrained in yellow. Without colour (<c>NO_COLOR</c> set, output
/// redirected, <c>TERM=dumb</c>) trained runs are wrapped in <c>[[ ]]</c> instead, so logs keep the
/// information.
/// </summary>
public static class DatumView
{
    private const string Green = "\u001b[32m", Yellow = "\u001b[33m", Reset = "\u001b[0m";

    /// <summary>Opens a trained run in plain output.</summary>
    public const string PlainOpen = "[[";

    /// <summary>Closes a trained run in plain output.</summary>
    public const string PlainClose = "]]";

    /// <summary>
    /// Whether standard output takes colour: not when <c>NO_COLOR</c> is set to anything
    /// non-empty (no-color.org), when output is redirected, or when <c>TERM</c> is <c>dumb</c>.
    /// </summary>
    public static bool ConsoleSupportsColor() =>
        string.IsNullOrEmpty(Environment.GetEnvironmentVariable("NO_COLOR"))
        && !Console.IsOutputRedirected
        && Environment.GetEnvironmentVariable("TERM") != "dumb";

    /// <summary>Formats tokens with one weight each; a run of tokens with the same weight is decoded together.</summary>
    public static string Format(ReadOnlySpan<int> tokens, ReadOnlySpan<float> weights, ITokenizer tokenizer, bool color)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        if (tokens.Length != weights.Length)
            throw new ArgumentException($"{weights.Length} weights for {tokens.Length} tokens", nameof(weights));
        var sb = new StringBuilder();
        for (int start = 0; start < tokens.Length;)
        {
            bool trained = weights[start] > 0;
            int end = start + 1;
            while (end < tokens.Length && weights[end] > 0 == trained) end++;
            var text = tokenizer.Decode(tokens[start..end]);
            if (color) sb.Append(trained ? Green : Yellow).Append(text).Append(Reset);
            else if (trained) sb.Append(PlainOpen).Append(text).Append(PlainClose);
            else sb.Append(text);
            start = end;
        }
        return sb.ToString();
    }

    /// <summary>Formats a rendered supervised example.</summary>
    public static string Format(SupervisedExample example, ITokenizer tokenizer, bool color)
    {
        ArgumentNullException.ThrowIfNull(example);
        return Format(example.ModelInput.ToInts(), example.Weights, tokenizer, color);
    }

    /// <summary>
    /// Formats a datum as the sequence it was cut from: the first input token (never a target,
    /// so untrained) followed by the targets with their weights.
    /// </summary>
    public static string Format(Datum datum, ITokenizer tokenizer, bool color)
    {
        ArgumentNullException.ThrowIfNull(datum);
        var input = datum.ModelInput.ToInts();
        var targets = datum.TargetTokens;
        var tokens = new int[targets.Length + (input.Length > 0 ? 1 : 0)];
        var weights = new float[tokens.Length];
        int at = 0;
        if (input.Length > 0) tokens[at++] = input[0];
        for (int i = 0; i < targets.Length; i++) tokens[at + i] = checked((int)targets[i]);
        datum.Weights.CopyTo(weights.AsSpan(at));
        return Format(tokens, weights, tokenizer, color);
    }

    /// <summary>Writes <see cref="Format(Datum, ITokenizer, bool)"/> and a newline, with colour when the console takes it.</summary>
    public static void Write(TextWriter writer, Datum datum, ITokenizer tokenizer, bool? color = null)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteLine(Format(datum, tokenizer, color ?? ConsoleSupportsColor()));
    }
}
