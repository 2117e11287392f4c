using System.Text.Json;
using Dlm.Core;
using Dlm.Models.IO;
using Dlm.Models.Transformer;

namespace Dlm.Models.Evaluation;

/// <summary>The mean next-token cross-entropy of one token sequence.</summary>
/// <param name="Loss">Mean of −log p(token[i+1] | token[..i]) over the predicted positions.</param>
/// <param name="Tokens">Number of predicted positions (sequence length − 1).</param>
public readonly record struct SequenceLossResult(double Loss, int Tokens);

/// <summary>
/// Scores token sequences with a Hugging Face model folder, one forward pass per sequence
/// (the contract of <c>dlm model loss</c>).
/// </summary>
public static class SequenceLoss
{
    /// <summary>
    /// Reads a JSONL file of token-id arrays (blank lines skipped); errors name <c>path:line</c>.
    /// Each line needs at least <paramref name="minTokens"/> ids: 2 to score a sequence (the default),
    /// 1 for a prompt. An empty file is an error.
    /// </summary>
    public static List<int[]> ReadTokenLines(string path, int minTokens = 2)
    {
        if (!File.Exists(path)) throw new DlmException($"{path}: tokens file not found");
        var result = new List<int[]>();
        int lineNo = 0;
        foreach (var line in File.ReadLines(path))
        {
            lineNo++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            int[]? ids;
            try
            {
                ids = JsonSerializer.Deserialize<int[]>(line);
            }
            catch (JsonException)
            {
                throw new DlmException(new SourceLocation(path, lineNo), "expected a JSON array of token ids");
            }
            if (ids is null) throw new DlmException(new SourceLocation(path, lineNo), "expected a JSON array of token ids");
            if (ids.Length < minTokens)
                throw new DlmException(new SourceLocation(path, lineNo), minTokens == 2
                    ? $"a line needs at least 2 token ids to predict one, it has {ids.Length}"
                    : $"a line needs at least {minTokens} token id(s), it has {ids.Length}");
            result.Add(ids);
        }
        if (result.Count == 0) throw new DlmException($"{path}: no token lines");
        return result;
    }

    /// <summary>Loads the model in <paramref name="modelFolder"/> once and scores every sequence.</summary>
    public static List<SequenceLossResult> Evaluate(string modelFolder, IReadOnlyList<int[]> sequences)
    {
        ArgumentNullException.ThrowIfNull(sequences);
        var config = HfModelFolder.LoadConfig(modelFolder);
        int longest = sequences.Count == 0 ? 2 : sequences.Max(s => s.Length);
        if (longest - 1 > config.ContextLength)
            throw new DlmException($"a sequence of {longest} tokens needs a context of {longest - 1}; the model's is {config.ContextLength}");
        var model = HfModelFolder.LoadModel(modelFolder, 1, longest - 1, inferenceOnly: true);
        var results = new List<SequenceLossResult>(sequences.Count);
        foreach (var ids in sequences)
        {
            int t = ids.Length - 1;
            var weights = new float[t];
            weights.AsSpan().Fill(1f);
            var loss = model.Forward(ids.AsSpan(0, t), ids.AsSpan(1, t), weights, 1, t, training: false);
            results.Add(new SequenceLossResult(loss.Mean, t));
        }
        return results;
    }
}
