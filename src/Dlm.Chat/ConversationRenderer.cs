using System.Globalization;
using System.Text;

namespace Dlm.Chat;

/// <summary>What <see cref="ConversationRenderer"/> renders a conversation as.</summary>
public enum RenderMode
{
    /// <summary>The whole conversation with loss weights (<see cref="IRenderer.BuildSupervisedExample"/>).</summary>
    Supervised,

    /// <summary>The conversation as history, then the prompt for an assistant turn (<see cref="IRenderer.BuildGenerationPrompt"/>); all weights 0.</summary>
    Generation,
}

/// <summary>
/// Renders conversation files for <c>dlm render</c>: each conversation becomes one JSON line
/// <c>{"tokens": [...], "weights": [...]}</c> (ARCHITECTURE.md contract).
/// </summary>
public static class ConversationRenderer
{
    /// <summary>Parses <c>supervised</c> or <c>generation</c>.</summary>
    public static bool TryParseMode(string? text, out RenderMode mode)
    {
        switch (text)
        {
            case "supervised": mode = RenderMode.Supervised; return true;
            case "generation": mode = RenderMode.Generation; return true;
            default: mode = default; return false;
        }
    }

    /// <summary>The tokens and weights of one conversation.</summary>
    public static SupervisedExample Render(IRenderer renderer, IReadOnlyList<Message> messages, RenderMode mode, TrainOnWhat trainOnWhat)
    {
        ArgumentNullException.ThrowIfNull(renderer);
        if (mode == RenderMode.Supervised) return renderer.BuildSupervisedExample(messages, trainOnWhat);
        var prompt = renderer.BuildGenerationPrompt(messages);
        return new SupervisedExample(prompt, new float[prompt.Length]);
    }

    /// <summary>One output line: <c>{"tokens": [...], "weights": [...]}</c>, weights written as 0 / 1.</summary>
    public static string ToJsonLine(SupervisedExample example)
    {
        ArgumentNullException.ThrowIfNull(example);
        var tokens = example.ModelInput.ToInts();
        var sb = new StringBuilder(tokens.Length * 12 + 32).Append("{\"tokens\": [");
        for (int i = 0; i < tokens.Length; i++) sb.Append(i > 0 ? ", " : "").Append(tokens[i].ToString(CultureInfo.InvariantCulture));
        sb.Append("], \"weights\": [");
        var weights = example.Weights;
        for (int i = 0; i < weights.Length; i++) sb.Append(i > 0 ? ", " : "").Append(weights[i].ToString("R", CultureInfo.InvariantCulture));
        return sb.Append("]}").ToString();
    }
}
