using System.Globalization;
using Dlm.Chat;
using Dlm.Core;
using Dlm.Documents.Descent;
using Dlm.Documents.Format;
using Dlm.Tokenizers;

namespace Dlm.Documents.Rows;

/// <summary>
/// Builds a document's training rows (R2 "Rows for training"):
/// <list type="bullet">
/// <item>prose (body sections and every kept source file, <c># source: path\n\ntext</c>):
/// <c>content.strip()</c> tokenized with the tokenizer's special tokens (BOS where it has one), the
/// EOS token appended, loss on every token;</item>
/// <item>each Q/A pair: <c>[system?, user: Q, assistant: A]</c> rendered by the base's renderer,
/// the document's <c>system_prompt</c> as the system message when set, loss on the answer only
/// (the renderer's <c>last_assistant_message</c> weights: the answer and its end-of-turn token);</item>
/// <item>preference sections are counted and left out (no preference phase yet); image and audio
/// sections too (the reader already warns about them).</item>
/// </list>
/// A row longer than <c>sequence_len</c> inputs is cut into consecutive windows that overlap by one
/// token, so every target of the row is predicted exactly once; a Q/A window without an answer token
/// is dropped (it would add nothing to the loss). Rows are split by <see cref="ValidationSplit"/>.
/// </summary>
public static class RowBuilder
{
    /// <summary>Builds the rows of <paramref name="document"/> and the files of <paramref name="descent"/>.</summary>
    /// <param name="document">The parsed document.</param>
    /// <param name="descent">Its <c>training.sources</c> walk, or null.</param>
    /// <param name="tokenizer">The base model's tokenizer.</param>
    /// <param name="renderer">The base model's chat renderer (for Q/A pairs).</param>
    /// <param name="sequenceLen">Most inputs per window.</param>
    /// <param name="seed">The split's seed (the document's <c>training.seed</c>, or <c>--seed</c>).</param>
    public static RowSet Build(DlmDocument document, DescentReport? descent, ITokenizer tokenizer, IRenderer renderer, int sequenceLen, long seed)
    {
        ArgumentNullException.ThrowIfNull(document);
        ArgumentNullException.ThrowIfNull(tokenizer);
        ArgumentNullException.ThrowIfNull(renderer);
        if (sequenceLen < 2) throw new DlmException($"sequence_len must be at least 2, not {sequenceLen}");
        int? eos = tokenizer.EosToken is { } e ? tokenizer.TokenToId(e) : null;
        var rows = new List<TrainingRow>();
        var hashes = new SortedSet<string>(StringComparer.Ordinal);
        var notes = new List<string>();
        int preference = 0, windowed = 0, emptyProse = 0, routed = 0;
        var system = document.Frontmatter.SystemPrompt;
        var docName = Path.GetFileName(document.Path);

        void AddProse(string content, string id, string origin)
        {
            var text = content.Trim();
            if (text.Length == 0) { emptyProse++; return; }
            var ids = tokenizer.Encode(text, addSpecialTokens: true);
            int[] tokens = eos is { } eosId ? [.. ids, eosId] : ids;
            if (tokens.Length < 2) { emptyProse++; return; }
            var weights = new float[tokens.Length];
            Array.Fill(weights, 1f);
            var row = MakeRow(RowKind.Prose, id, 0, origin, tokens, weights, sequenceLen, seed);
            if (row.Windows.Count > 1) windowed++;
            rows.Add(row);
            hashes.Add(id);
        }

        foreach (var s in document.Sections)
        {
            var origin = string.Create(CultureInfo.InvariantCulture, $"{docName}:{s.StartLine}");
            if (s.Adapter is not null && s.Type is SectionType.Prose or SectionType.Instruction) routed++;
            switch (s.Type)
            {
                case SectionType.Prose:
                    AddProse(s.Content, s.Id, origin);
                    break;
                case SectionType.Instruction:
                    for (int k = 0; k < s.Pairs.Count; k++)
                    {
                        var pair = s.Pairs[k];
                        var messages = new List<Message>();
                        if (!string.IsNullOrEmpty(system)) messages.Add(Message.System(system));
                        messages.Add(Message.User(pair.Question));
                        messages.Add(Message.Assistant(pair.Answer));
                        var example = renderer.BuildSupervisedExample(messages, TrainOnWhat.LastAssistantMessage);
                        var row = MakeRow(RowKind.Instruction, s.Id, k, origin, example.ModelInput.ToInts(), example.WeightsArray, sequenceLen, seed);
                        if (row.Windows.Count == 0) throw new DlmException($"{document.Path}:{s.StartLine}: Q/A pair {k + 1} renders no answer token to train on");
                        if (row.Windows.Count > 1) windowed++;
                        rows.Add(row);
                    }
                    hashes.Add(s.Id);
                    break;
                case SectionType.Preference:
                    preference++;
                    break;
            }
        }
        if (descent is not null)
            foreach (var f in descent.Kept)
            {
                var prose = f.Prose;
                AddProse(prose, SectionId.Compute(SectionType.Prose, prose), $"source {f.RelativePath}");
            }

        if (preference > 0)
            notes.Add($"{preference} preference section(s) not trained: the preference phase (DPO/ORPO) is not in dlm yet");
        if (routed > 0)
            notes.Add($"{routed} section(s) routed to a named adapter (::type#name::) are trained into the document's one adapter: named adapters are not in dlm yet");
        if (windowed > 0)
            notes.Add($"{windowed} row(s) longer than sequence_len {sequenceLen} split into windows");
        if (emptyProse > 0)
            notes.Add($"{emptyProse} empty prose section(s) or file(s) give no row");
        return new RowSet(rows, sequenceLen, [.. hashes], preference, notes);
    }

    // Windows of at most sequenceLen inputs: window w covers tokens [w*L, w*L + L] (L + 1 tokens, the
    // last one only as a target), so consecutive windows share one token and no target repeats.
    internal static TrainingRow MakeRow(RowKind kind, string id, int k, string origin, int[] tokens, float[] weights, int sequenceLen, long seed)
    {
        var windows = new List<Datum>();
        int lossTokens = 0;
        for (int start = 0; start < tokens.Length - 1; start += sequenceLen)
        {
            int end = Math.Min(start + sequenceLen + 1, tokens.Length);
            var w = weights.AsSpan(start, end - start);
            int trained = 0;
            for (int i = 1; i < w.Length; i++) if (w[i] != 0) trained++;
            if (trained == 0) continue;
            lossTokens += trained;
            windows.Add(DatumBuilder.FromModelInputWeights(ModelInput.FromInts(tokens.AsSpan(start, end - start)), w));
        }
        return new TrainingRow(kind, id, k, origin, ValidationSplit.IsValidation(seed, id, k), windows, tokens.Length, lossTokens);
    }
}
