using Dlm.Models.IO;

namespace Dlm.Models.Tests.IO.Gguf;

/// <summary>dlm's own forward pass on a model folder: logits at every position and greedy continuations by repeated full forwards.</summary>
public static class DlmReference
{
    /// <summary>Logits [T][V] of <paramref name="tokens"/>.</summary>
    public static float[][] Logits(string folder, IReadOnlyList<int> tokens)
    {
        var model = HfModelFolder.LoadModel(folder, 1, tokens.Count, inferenceOnly: true);
        return Logits(model, tokens);
    }

    private static float[][] Logits(Dlm.Models.Transformer.TransformerModel model, IReadOnlyList<int> tokens)
    {
        model.Forward(tokens.ToArray(), [], [], 1, tokens.Count, training: false);
        int v = model.Config.VocabSize;
        var all = model.Logits.ToArray();
        return [.. Enumerable.Range(0, tokens.Count).Select(i => all.AsSpan(i * v, v).ToArray())];
    }

    /// <summary>Greedy continuation: each step runs the whole sequence so far and takes the argmax of the last position.</summary>
    public static List<int> Greedy(string folder, IReadOnlyList<int> prompt, int count)
    {
        var model = HfModelFolder.LoadModel(folder, 1, prompt.Count + count, inferenceOnly: true);
        var seq = prompt.ToList();
        var result = new List<int>();
        for (int step = 0; step < count; step++)
        {
            var last = Logits(model, seq)[^1];
            int best = 0;
            for (int i = 1; i < last.Length; i++) if (last[i] > last[best]) best = i;
            result.Add(best);
            seq.Add(best);
        }
        return result;
    }
}
